package dev.swarmhub.faults;

import static dev.swarmhub.faults.FaultClient.ordered;

import dev.swarmhub.hub.JsonViews;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The state after a fault run, every fault healed: read as the operator through the first hub's
 * API (the store is one for every hub) and, for the fenced files, from each hub's checkout. With
 * several hubs each checkout has its own files (a fenced write lands in the checkout of the hub
 * that served it); {@code files} then holds, per path, the content with the highest fencing token
 * among the checkouts (what one shared file would hold, since fenced writes that succeed carry
 * non-decreasing tokens), and {@code files_by_hub} each checkout's own.
 */
final class FinalRead {

    /** A client writes "PROCESS-wN token=T": the token a content was written with. */
    private static final Pattern WRITTEN_TOKEN = Pattern.compile("token=(\\d+)$");
    private static final int PAGE = 500;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String url;
    private final String operator;

    private FinalRead(String url, String operator) {
        this.url = url;
        this.operator = operator;
    }

    static Map<String, Object> read(FaultHubs hubs, List<String> resources) throws IOException, InterruptedException {
        FaultHubs.Hub first = hubs.get(0);
        return new FinalRead(first.url(), first.operatorToken()).state(hubs, resources);
    }

    private Map<String, Object> state(FaultHubs hubs, List<String> resources) throws IOException, InterruptedException {
        Map<String, Object> state = new LinkedHashMap<>();
        Map<String, Map<String, String>> byHub = new TreeMap<>();
        for (FaultHubs.Hub hub : hubs.all()) {
            Map<String, String> files = new TreeMap<>();
            for (String resource : resources) {
                Path file = hub.checkout.resolve(resource);
                files.put(resource, Files.exists(file) ? Files.readString(file) : null);
            }
            byHub.put(hub.name, files);
        }
        state.put("files", latest(byHub, resources));
        if (byHub.size() > 1) {
            state.put("files_by_hub", byHub);
        }
        Map<String, List<Map<String, Object>>> messages = messages();
        state.put("messages", messages);
        Map<String, Object> tasks = tasks();
        state.put("tasks", tasks);
        List<Map<String, Object>> leases = new ArrayList<>();
        for (JsonNode lease : get("/locks").get("leases")) {
            leases.add(ordered("lease", lease.get("id").asLong(), "resource", lease.get("resource").asString(), "agent",
                    lease.get("agent").asString(), "mode", lease.get("mode").asString(), "token", lease.get("token").asLong(),
                    "expires_at", Instant.parse(lease.get("expiresAt").asString()).toEpochMilli()));
        }
        state.put("leases", leases);
        long events = events();
        state.put("events", events);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("messages", messages.values().stream().mapToInt(List::size).sum());
        for (String status : List.of("open", "in-progress", "done")) {
            counts.put("tasks_" + status.replace('-', '_'), tasks.values().stream()
                    .filter(task -> status.equals(((Map<?, ?>) task).get("status"))).count());
        }
        counts.put("leases", leases.size());
        state.put("counts", counts);
        return state;
    }

    private static Map<String, String> latest(Map<String, Map<String, String>> byHub, List<String> resources) {
        Map<String, String> files = new TreeMap<>();
        for (String resource : resources) {
            files.put(resource, byHub.values().stream().map(hubFiles -> hubFiles.get(resource)).filter(content -> content != null)
                    .max(Comparator.comparingLong(FinalRead::writtenToken)).orElse(null));
        }
        return files;
    }

    private static long writtenToken(String content) {
        Matcher token = WRITTEN_TOKEN.matcher(content);
        return token.find() ? Long.parseLong(token.group(1)) : -1;
    }

    /** Every message, by recipient, oldest first: read page by page, newest first, as the operator sees them all. */
    private Map<String, List<Map<String, Object>>> messages() throws IOException, InterruptedException {
        Map<String, List<Map<String, Object>>> byRecipient = new TreeMap<>();
        String before = null;
        while (true) {
            JsonNode page = get("/messages/recent?limit=" + PAGE + (before == null ? "" : "&before=" + encode(before))).get("messages");
            for (JsonNode message : page) {
                for (JsonNode recipient : message.get("to")) {
                    byRecipient.computeIfAbsent(recipient.get("agent").asString(), agent -> new ArrayList<>()).add(ordered(
                            "id", message.get("id").asString(), "from", message.get("from").asString(), "body", message.get("text").asString(),
                            "acked", !recipient.get("ackedAt").isNull()));
                }
                before = message.get("id").asString();
            }
            if (page.size() < PAGE) {
                break;
            }
        }
        byRecipient.values().forEach(list -> list.sort(Comparator.comparing(message -> (String) message.get("id"))));
        return byRecipient;
    }

    private Map<String, Object> tasks() throws IOException, InterruptedException {
        Map<String, Object> tasks = new TreeMap<>();
        for (JsonNode task : get("/tasks?all=true&limit=1000").get("tasks")) {
            String status = task.get("status").asString();
            tasks.put(task.get("id").asString(), ordered("status", status,
                    "claimed_by", status.equals("in-progress") ? task.get("assignee").asString() : null,
                    "assignee", task.get("assignee").isNull() ? null : task.get("assignee").asString()));
        }
        return tasks;
    }

    private long events() throws IOException, InterruptedException {
        long count = 0;
        long after = 0;
        while (true) {
            JsonNode page = get("/log?after=" + after + "&limit=10000").get("events");
            for (JsonNode event : page) {
                after = event.get("id").asLong();
                count++;
            }
            if (page.isEmpty()) {
                return count;
            }
        }
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + operator)
                .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JsonViews.JSON.readTree(response.body());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
