package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Renders results: human text by default, exactly one JSON document on stdout with --json.
 * Errors go to stderr (and, with --json, also as {"error":{"code","message"}} on stdout).
 */
final class Output {

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
    int result(Object document, String human) {
        if (swarm.json) {
            out.println(JsonViews.json(document));
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

    /** One item of an endless stream: a JSON line with --json, else the human text. */
    void stream(String json, String human) {
        out.print(swarm.json ? json + "\n" : human);
        out.flush();
    }

    void warning(String text) {
        err.println(text);
    }

    int failure(Exception failure) {
        return failure(failure, null);
    }

    /** Reports a failure on stderr (and stdout with --json); returns its exit code. */
    int failure(Exception failure, CommandLine usageOf) {
        SwarmException known = known(failure);
        if (swarm.json) {
            out.println(JsonViews.json(JsonViews.error(known)));
        }
        return report(known, usageOf);
    }

    /**
     * Reports a failure after what the command knew without what failed: {@code document} (its
     * {@code error} added, the one JSON document) or {@code human} on stdout, the failure on
     * stderr; returns its exit code.
     */
    int failureAfter(Map<String, Object> document, String human, Exception failure) {
        SwarmException known = known(failure);
        if (swarm.json) {
            document.put("error", JsonViews.error(known).error());
        }
        result(document, human);
        return report(known, null);
    }

    private static SwarmException known(Exception failure) {
        return failure instanceof SwarmException swarmException ? hinted(swarmException)
                : new SwarmException(SwarmException.Kind.INTERNAL, String.valueOf(failure.getMessage()), failure);
    }

    private int report(SwarmException known, CommandLine usageOf) {
        err.println("swarm: " + (known.kind() == SwarmException.Kind.DENIED ? "denied: " : "") + known.getMessage());
        if (usageOf != null && !swarm.json) {
            err.println("Try '" + usageOf.getCommandSpec().qualifiedName() + " --help' for usage.");
        }
        if (known.kind() == SwarmException.Kind.INTERNAL && known.getCause() != null) {
            known.getCause().printStackTrace(err);
        }
        if (known.kind() == SwarmException.Kind.INTERNAL && swarm.inHub()) { // the client printed it; the hub's log keeps it
            LoggerFactory.getLogger(Swarm.class).error("internal error in a command through the hub: {}", known.getMessage(),
                    known.getCause() != null ? known.getCause() : known);
        }
        return known.kind().exitCode;
    }

    /** A refusal for lack of an agent, a token or a registration, with how to give it on the command line. */
    static SwarmException hinted(SwarmException failure) {
        if (failure.missing() == null) {
            return failure;
        }
        return failure.withHint(switch (failure.missing()) {
            case AGENT -> "pass --agent ID or set SWARM_AGENT (and SWARM_TOKEN)";
            case TOKEN -> "set SWARM_TOKEN or pass --token";
            case REGISTRATION -> "run swarm agent register";
        });
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
