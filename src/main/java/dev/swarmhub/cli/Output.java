package dev.swarmhub.cli;

import dev.swarmhub.core.Event;
import dev.swarmhub.core.Lease;
import dev.swarmhub.core.LeaseConflictException;
import dev.swarmhub.core.OrderedMap;
import dev.swarmhub.core.SwarmException;
import dev.swarmhub.core.Waiter;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders results: human text by default, exactly one JSON document on stdout with --json.
 * Errors go to stderr (and, with --json, also as {"error":{"code","message"}} on stdout).
 */
final class Output {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());

    private final Swarm swarm;
    private final PrintWriter out;
    private final PrintWriter err;

    Output(Swarm swarm, PrintWriter out, PrintWriter err) {
        this.swarm = swarm;
        this.out = out;
        this.err = err;
    }

    /** Prints a successful result; returns exit code 0. */
    int result(Map<String, Object> document, String human) {
        if (swarm.json) {
            out.println(json(document));
        } else if (!human.isEmpty()) {
            out.print(human.endsWith("\n") ? human : human + "\n");
        }
        return 0;
    }

    /** A progress line for long-running commands (never with --json, which prints one document). */
    void line(String text) {
        if (!swarm.json) {
            out.print(text.endsWith("\n") ? text : text + "\n");
            out.flush();
        }
    }

    void warning(String text) {
        err.println(text);
    }

    int failure(Exception failure) {
        return failure(failure, null);
    }

    /** Reports a failure on stderr (and stdout with --json); returns its exit code. */
    int failure(Exception failure, CommandLine usageOf) {
        SwarmException known = failure instanceof SwarmException swarmException ? swarmException
                : new SwarmException(SwarmException.Kind.INTERNAL, String.valueOf(failure.getMessage()), failure);
        if (swarm.json) {
            out.println(json(errorDocument(known)));
        }
        err.println("swarm: " + (known.kind() == SwarmException.Kind.DENIED ? "denied: " : "") + known.getMessage());
        if (usageOf != null && !swarm.json) {
            err.println("Try '" + usageOf.getCommandSpec().qualifiedName() + " --help' for usage.");
        }
        if (known.kind() == SwarmException.Kind.INTERNAL && known.getCause() != null) {
            known.getCause().printStackTrace(err);
        }
        return known.kind().exitCode;
    }

    private static Map<String, Object> errorDocument(SwarmException failure) {
        Map<String, Object> document = new LinkedHashMap<>();
        Map<String, Object> error = new LinkedHashMap<>();
        if (failure instanceof LeaseConflictException conflict) {
            document.put("granted", false);
            error.put("code", conflict.timedOut() ? "timeout" : "conflict");
            document.put("error", error);
            document.put("conflicts", conflict.conflicts().stream().map(Output::conflict).toList());
            document.put("queuedAhead", conflict.queuedAhead().stream().map(Output::waiter).toList());
        } else {
            error.put("code", failure.kind().code);
            document.put("error", error);
        }
        error.put("message", failure.getMessage());
        return document;
    }

    static Map<String, Object> lease(Lease lease) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", lease.id());
        view.put("resource", lease.resource().text());
        view.put("kind", lease.resource().kind().name().toLowerCase(Locale.ROOT));
        view.put("mode", lease.mode().label());
        view.put("agent", lease.agent());
        view.put("token", lease.token());
        view.put("reason", lease.reason());
        view.put("acquiredAt", iso(lease.acquiredAt()));
        view.put("expiresAt", iso(lease.expiresAt()));
        return view;
    }

    static List<Map<String, Object>> leases(List<Lease> leases) {
        return leases.stream().map(Output::lease).toList();
    }

    private static Map<String, Object> conflict(LeaseConflictException.Conflict conflict) {
        Lease held = conflict.held();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("resource", conflict.requested().text());
        view.put("heldResource", held.resource().text());
        view.put("holder", held.agent());
        view.put("mode", held.mode().label());
        view.put("reason", held.reason());
        view.put("since", iso(held.acquiredAt()));
        view.put("expiresAt", iso(held.expiresAt()));
        return view;
    }

    private static Map<String, Object> waiter(Waiter waiter) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("resource", waiter.resource().text());
        view.put("agent", waiter.agent());
        view.put("mode", waiter.mode().label());
        view.put("since", iso(waiter.since()));
        return view;
    }

    static Map<String, Object> event(Event event) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", event.id());
        view.put("at", iso(event.at()));
        view.put("kind", event.kind());
        view.put("agent", event.agent());
        view.put("resource", event.resource());
        view.put("details", event.details());
        return view;
    }

    static String json(Object value) {
        return JSON.writeValueAsString(value);
    }

    static String iso(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    /** Local wall-clock time for people. */
    static String clock(long epochMillis) {
        return CLOCK.format(Instant.ofEpochMilli(epochMillis));
    }

    /** One line per lease: resource, mode, holder, token, expiry, reason. */
    static String leaseLines(List<Lease> leases, String empty) {
        if (leases.isEmpty()) {
            return empty;
        }
        StringBuilder text = new StringBuilder();
        for (Lease lease : leases) {
            text.append(String.format(Locale.ROOT, "%-40s %-9s %-20s token %-6d until %s%s%n", lease.resource(),
                    lease.mode().label(), lease.agent(), lease.token(), clock(lease.expiresAt()),
                    lease.reason().isEmpty() ? "" : "  \"" + lease.reason() + "\""));
        }
        return text.toString();
    }

    static Map<String, Object> document(Object... keysAndValues) {
        return OrderedMap.of(keysAndValues);
    }
}
