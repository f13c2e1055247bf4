package dev.swarmhub.faults;

import dev.swarmhub.faults.History.EventRef;
import dev.swarmhub.faults.History.Operation;
import dev.swarmhub.faults.Violation.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Messages and acks. Bodies are unique per run, so a listed message is matched to its send by
 * body. Messages from outside the clients (the hub's own {@code swarm} escalations, the operator)
 * are left out. The final read lists every message of each agent, acked or not.
 */
final class MessageChecks {

    private final History history;
    private final Findings findings;
    private final Set<String> clients;
    /** Sends by body; bodies are unique per run (a resent body keeps its answered send). */
    private final Map<String, Operation> sends = new HashMap<>();
    private final Map<String, Set<String>> addressed = new HashMap<>();

    private MessageChecks(History history, Findings findings) {
        this.history = history;
        this.findings = findings;
        this.clients = new HashSet<>(history.clients());
        history.operations("send").forEach(send -> sends.merge(send.input("body"), send, (kept, other) -> other.ok() ? other : kept));
    }

    static void check(History history, Findings findings) {
        MessageChecks checks = new MessageChecks(history, findings);
        for (Operation read : history.operations("read")) {
            if (read.ok()) {
                read.output().path("messages").forEach(message -> checks.listed(read.process(), message, read.ref()));
            }
        }
        checks.acks();
        JsonNode finalMessages = history.finalState() == null ? null : history.finalState().path("messages");
        if (finalMessages != null && finalMessages.isObject()) {
            checks.finalMessages(finalMessages);
        } else if (!history.operations("send").isEmpty()) {
            findings.note("no final read of the messages: answered sends were not looked for");
        }
    }

    /** A listed message must be one a client sent (not refused) to this agent, with its id and body. */
    private void listed(String recipient, JsonNode message, EventRef where) {
        String from = message.path("from").asString("");
        if (!clients.contains(from)) {
            return;
        }
        String body = message.path("body").asString("");
        String id = message.path("id").asString("");
        Operation send = sends.get(body);
        if (send == null || !send.process().equals(from)) {
            findings.violation(Kind.PHANTOM_MESSAGE, List.of(where), recipient + " was given message " + id + " from " + from
                    + " that " + from + " never sent: \"" + abbreviated(body) + "\"");
        } else if (send.failed()) {
            findings.violation(Kind.PHANTOM_MESSAGE, List.of(send.ref(), where), recipient + " was given message " + id
                    + " whose send was refused (" + send + ")");
        } else if (!send.input("to").equals(recipient)) {
            findings.violation(Kind.PHANTOM_MESSAGE, List.of(send.ref(), where), recipient + " was given message " + id + " sent to "
                    + send.input("to"));
        } else if (send.ok() && !send.output("id").equals(id)) {
            findings.violation(Kind.LOST_MESSAGE, List.of(send.ref(), where), "the body " + from + " sent as message " + send.output("id")
                    + " reached " + recipient + " as message " + id);
        }
    }

    private void finalMessages(JsonNode finalMessages) {
        EventRef finalRead = history.finalReadRef();
        finalMessages.properties().forEach(inbox -> inbox.getValue().forEach(message -> listed(inbox.getKey(), message, finalRead)));
        for (Operation send : history.operations("send")) {
            if (!send.ok()) {
                continue;
            }
            String recipient = send.input("to");
            String id = send.output("id");
            Optional<JsonNode> found = stream(finalMessages.path(recipient)).filter(message -> message.path("id").asString("").equals(id))
                    .findFirst();
            if (found.isEmpty()) {
                findings.violation(Kind.LOST_MESSAGE, List.of(send.ref(), finalRead), send.process() + "'s message " + id + " to " + recipient
                        + " was answered ok but is not among " + recipient + "'s final messages");
            } else if (!found.get().path("body").asString("").equals(send.input("body"))
                    || !found.get().path("from").asString("").equals(send.process())) {
                findings.violation(Kind.LOST_MESSAGE, List.of(send.ref(), finalRead), send.process() + "'s message " + id + " to " + recipient
                        + " ends with another body or sender: \"" + abbreviated(found.get().path("body").asString("")) + "\" from "
                        + found.get().path("from").asString(""));
            }
        }
        for (Operation ack : history.operations("ack")) {
            String id = ack.input("id");
            boolean listedAcked = stream(finalMessages.path(ack.process())).anyMatch(message -> message.path("id").asString("").equals(id)
                    && message.path("acked").asBoolean(false));
            if (ack.ok() && !listedAcked && addressedTo(ack.process(), finalMessages).contains(id)) {
                findings.violation(Kind.ACK_CONFLICT, List.of(ack.ref(), finalRead), ack.process() + "'s ack of " + id
                        + " was answered ok but the message ends unacked");
            } else if (ack.ok() && !addressedTo(ack.process(), finalMessages).contains(id)) {
                findings.violation(Kind.ACK_CONFLICT, List.of(ack.ref()), ack.process() + " acked message " + id
                        + " (answered ok), which was never addressed to it");
            }
        }
    }

    /**
     * An ack answered ok, then a later ack of the same message by the same client refused, while
     * the client was still admitted (a write of its answered ok after that): acks are idempotent.
     */
    private void acks() {
        Map<String, List<Operation>> byMessage = new HashMap<>();
        history.operations("ack").forEach(ack -> byMessage.computeIfAbsent(ack.process() + "\u0000" + ack.input("id"), key -> new ArrayList<>())
                .add(ack));
        byMessage.values().forEach(acks -> acks.stream().filter(Operation::ok).findFirst().ifPresent(acked -> acks.stream()
                .filter(later -> later.failed() && acked.precedes(later) && stillAdmitted(later)).findFirst()
                .ifPresent(refused -> findings.violation(Kind.ACK_CONFLICT, List.of(acked.ref(), refused.ref()), acked.process() + "'s ack of "
                        + acked.input("id") + " was answered ok, then refused (" + refused.output().path("error").asString("") + ")"))));
    }

    /** Whether the client had a write answered ok after this refusal: its refusal was not about the client (gone, its token). */
    private boolean stillAdmitted(Operation refused) {
        return history.operations(op -> op.process().equals(refused.process()) && op.ok() && !op.f().equals("read")
                && op.invokedAt() > refused.completedAt()).stream().findAny().isPresent();
    }

    /** The ids addressed to an agent: answered sends to it, and what its reads and its final messages list. */
    private Set<String> addressedTo(String agent, JsonNode finalMessages) {
        return addressed.computeIfAbsent(agent, known -> idsAddressedTo(agent, finalMessages));
    }

    private Set<String> idsAddressedTo(String agent, JsonNode finalMessages) {
        Set<String> ids = new HashSet<>();
        history.operations("send").stream().filter(send -> send.ok() && send.input("to").equals(agent)).forEach(send -> ids.add(send.output("id")));
        history.operations("read").stream().filter(read -> read.ok() && read.process().equals(agent))
                .forEach(read -> read.output().path("messages").forEach(message -> ids.add(message.path("id").asString(""))));
        finalMessages.path(agent).forEach(message -> ids.add(message.path("id").asString("")));
        return ids;
    }

    private static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> nodes = new ArrayList<>();
        array.forEach(nodes::add);
        return nodes.stream();
    }

    private static String abbreviated(String text) {
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
