package dev.swarmhub.hub;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseConflictException;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Waiter;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.Messages;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** The JSON shape of every result, shared by the CLI's --json output and the HTTP API. */
public final class JsonViews {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private JsonViews() {
    }

    public static String json(Object value) {
        return JSON.writeValueAsString(value);
    }

    public static String iso(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    public static Map<String, Object> lease(Lease lease) {
        return OrderedMap.of("id", lease.id(), "resource", lease.resource().text(),
                "kind", lease.resource().kind().name().toLowerCase(Locale.ROOT), "mode", lease.mode().label(),
                "agent", lease.agent(), "token", lease.token(), "reason", lease.reason(),
                "acquiredAt", iso(lease.acquiredAt()), "expiresAt", iso(lease.expiresAt()));
    }

    public static List<Map<String, Object>> leases(List<Lease> leases) {
        return leases.stream().map(JsonViews::lease).toList();
    }

    /** Released leases; one that had expired says so, with who holds its resource now. */
    public static List<Map<String, Object>> released(List<Leases.Released> released) {
        return released.stream().map(one -> {
            Map<String, Object> view = lease(one.lease());
            if (one.hadExpired()) {
                view.put("hadExpired", true);
                view.put("heldNowBy", one.heldNowBy());
            }
            return view;
        }).toList();
    }

    public static Map<String, Object> agent(Agent agent, List<String> leases) {
        Map<String, Object> view = OrderedMap.of("id", agent.id(), "kind", agent.kind(), "status", agent.status().label(),
                "lastSeen", iso(agent.lastSeen()), "pane", agent.pane(), "pid", agent.pid(), "host", agent.host(),
                "label", agent.label(), "claimed", agent.claimed(), "registeredAt", iso(agent.registeredAt()));
        if (leases != null) {
            view.put("leases", leases);
        }
        return view;
    }

    public static Map<String, Object> event(Event event) {
        return OrderedMap.of("id", event.id(), "at", iso(event.at()), "kind", event.kind(), "agent", event.agent(),
                "resource", event.resource(), "details", event.details());
    }

    /** A message as its reader sees it: every recipient's progress, the reader's own, and whether its signature failed. */
    public static Map<String, Object> message(Messages.View view) {
        Message message = view.message();
        Map<String, Object> document = OrderedMap.of("id", message.id(), "from", message.sender(), "type", message.type().label(),
                "priority", message.priority(), "thread", message.thread(), "replyTo", message.replyTo(), "text", message.text(),
                "ackRequired", message.ackRequired(), "sentAt", iso(message.createdAt()), "tampered", view.tampered(),
                "to", message.recipients().stream().map(JsonViews::recipient).toList());
        if (view.mine() != null) {
            document.put("mine", recipient(view.mine()));
        }
        return document;
    }

    /** A message just sent, as its sender sees it, with what became of it per recipient. */
    public static Map<String, Object> sentMessage(Message message) {
        Map<String, Object> document = message(new Messages.View(message, false, null));
        document.put("delivery", deliveries(message));
        return document;
    }

    /** Per recipient: typed, queued, failed: why, or inbox (see Message.Recipient.delivery). */
    public static List<Map<String, Object>> deliveries(Message message) {
        return message.recipients().stream().map(recipient -> OrderedMap.of("agent", recipient.agent(), "delivery", recipient.delivery()))
                .toList();
    }

    public static List<Map<String, Object>> messages(List<Messages.View> views) {
        return views.stream().map(JsonViews::message).toList();
    }

    private static Map<String, Object> recipient(Message.Recipient recipient) {
        return OrderedMap.of("agent", recipient.agent(), "storedAt", iso(recipient.storedAt()), "deliveredAt", isoOrNull(recipient.deliveredAt()),
                "readAt", isoOrNull(recipient.readAt()), "ackedAt", isoOrNull(recipient.ackedAt()), "attempts", recipient.attempts(),
                "escalated", recipient.escalated(), "pane", recipient.pane(), "delivery", recipient.delivery());
    }

    private static String isoOrNull(Long epochMillis) {
        return epochMillis == null ? null : iso(epochMillis);
    }

    /** {"error":{"code","message"}}, plus the conflicts and queue for a denied acquire. */
    public static Map<String, Object> error(SwarmException failure) {
        Map<String, Object> error = OrderedMap.of();
        Map<String, Object> document = OrderedMap.of();
        if (failure instanceof LeaseConflictException conflict) {
            document.put("granted", false);
            error.put("code", conflict.timedOut() ? "timeout" : "conflict");
            document.put("error", error);
            document.put("conflicts", conflict.conflicts().stream().map(JsonViews::conflict).toList());
            document.put("queuedAhead", conflict.queuedAhead().stream().map(JsonViews::waiter).toList());
        } else {
            error.put("code", failure.code());
            document.put("error", error);
            if (failure instanceof RateLimitedException limited) {
                error.put("retryAfterMs", limited.retryAfterMillis());
            }
        }
        error.put("message", failure.getMessage());
        return document;
    }

    private static Map<String, Object> conflict(LeaseConflictException.Conflict conflict) {
        Lease held = conflict.held();
        return OrderedMap.of("resource", conflict.requested().text(), "heldResource", held.resource().text(),
                "holder", held.agent(), "mode", held.mode().label(), "reason", held.reason(),
                "since", iso(held.acquiredAt()), "expiresAt", iso(held.expiresAt()));
    }

    private static Map<String, Object> waiter(Waiter waiter) {
        return OrderedMap.of("resource", waiter.resource().text(), "agent", waiter.agent(), "mode", waiter.mode().label(),
                "since", iso(waiter.since()));
    }
}
