package dev.swarmhub.faults;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes histories for tests, in the runner's format, with times in milliseconds (written as ns).
 * {@code call} records an invoke and returns the operation's handle; {@code ok}, {@code fail} and
 * {@code info} complete it; one left open counts as unknown.
 */
final class HistoryBuilder {

    static final long TTL = 1000;

    /** An invoked operation. */
    record Call(String process, long op, String f) {
    }

    private final List<ObjectNode> events = new ArrayList<>();
    private final Map<String, Long> ops = new HashMap<>();
    private final ObjectNode run = JsonNodeFactory.instance.objectNode();

    HistoryBuilder() {
        run.put("seed", 7).put("store", "sqlite").put("hubs", 1).put("clients", 3).put("ttl_ms", TTL).put("duration_ms", 10_000)
                .put("started_at_ms", 0);
        run.putArray("resources").add("f1.txt").add("f2.txt");
        run.putArray("nemeses").add("kill-hub");
    }

    /** A key/value list as a JSON object: ("resource", "f1.txt", "ttl_ms", 1000). */
    static ObjectNode json(Object... keysAndValues) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            String key = (String) keysAndValues[i];
            switch (keysAndValues[i + 1]) {
                case null -> node.putNull(key);
                case String text -> node.put(key, text);
                case Long number -> node.put(key, number);
                case Integer number -> node.put(key, number);
                case Boolean flag -> node.put(key, flag);
                case Object other -> node.set(key, HistoryReader.JSON.valueToTree(other));
            }
        }
        return node;
    }

    HistoryBuilder runField(String field, long value) {
        run.put(field, value);
        return this;
    }

    Call call(String process, String f, long atMs, Object... input) {
        long op = ops.merge(process, 1L, Long::sum);
        events.add(event(atMs, process, "invoke", f, op, json(input)));
        return new Call(process, op, f);
    }

    HistoryBuilder ok(Call call, long atMs, Object... output) {
        events.add(event(atMs, call.process(), "ok", call.f(), call.op(), json(output)));
        return this;
    }

    HistoryBuilder fail(Call call, long atMs, String error) {
        events.add(event(atMs, call.process(), "fail", call.f(), call.op(), json("error", error)));
        return this;
    }

    HistoryBuilder info(Call call, long atMs) {
        events.add(event(atMs, call.process(), "info", call.f(), call.op(), json("error", "timeout")));
        return this;
    }

    /** An acquire answered ok: granted (or renewed) at store time {@code storeMs}, for {@link #TTL}. */
    Call acquired(String process, long fromMs, long toMs, String resource, String lease, long token, long acquiredAtMs, long storeMs) {
        Call call = call(process, "acquire", fromMs, "resource", resource, "mode", "exclusive", "ttl_ms", TTL);
        ok(call, toMs, "lease", lease, "token", token, "acquired_at", acquiredAtMs, "expires_at", storeMs + TTL);
        return call;
    }

    Call released(String process, long fromMs, long toMs, String resource, String lease, long token, boolean hadExpired) {
        Call call = call(process, "release", fromMs, "resource", resource, "lease", lease, "token", token);
        ok(call, toMs, "had_expired", hadExpired);
        return call;
    }

    Call written(String process, long fromMs, long toMs, String path, long token, String content) {
        Call call = call(process, "write", fromMs, "path", path, "token", token, "content", content);
        ok(call, toMs);
        return call;
    }

    HistoryBuilder nemesis(long atMs, String f, String target) {
        ObjectNode event = JsonNodeFactory.instance.objectNode();
        event.put("time", atMs * 1_000_000).put("process", HistoryReader.NEMESIS).put("type", "info").put("f", f);
        event.set("value", json("target", target));
        events.add(event);
        return this;
    }

    HistoryBuilder finalRead(long atMs, ObjectNode state) {
        events.add(event(atMs, HistoryReader.FINAL, "ok", "final-read", 1, state));
        return this;
    }

    String runJson() {
        return run.toString();
    }

    List<String> lines() {
        List<ObjectNode> sorted = new ArrayList<>(events);
        sorted.sort(java.util.Comparator.comparingLong(event -> event.get("time").asLong()));
        return sorted.stream().map(ObjectNode::toString).toList();
    }

    History history() {
        return HistoryReader.parse(runJson(), lines());
    }

    private static ObjectNode event(long atMs, String process, String type, String f, long op, ObjectNode value) {
        ObjectNode event = JsonNodeFactory.instance.objectNode();
        event.put("time", atMs * 1_000_000).put("process", process).put("type", type).put("f", f).put("op", op);
        event.set("value", value);
        return event;
    }
}
