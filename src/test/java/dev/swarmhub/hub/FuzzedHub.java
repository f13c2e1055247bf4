package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP server of a hub (API and MCP) over a fresh project's store, for the API's and MCP's fuzz
 * targets. The store's clock stands still and no hub timer runs, so nothing changes the store
 * but the requests: a request refused must leave it as it was. One agent acts for the fuzzer;
 * when a request makes it leave, the next one is registered.
 */
final class FuzzedHub implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();
    /** What a refusal may be: the API's documented error codes; never "internal" or "unavailable". */
    static final Set<String> REFUSAL_CODES = Set.of("bad_input", "denied", "unauthenticated", "rate_limited", "version_conflict");
    /**
     * Requests left out: those that wait (a lease or the inbox, up to a day) or stream (the event
     * stream: its answer never ends), spawn a process (the fuzzer's command line), or bind a tmux
     * pane (running tmux). Other tests drive those.
     */
    private static final Pattern LEFT_OUT = Pattern.compile("wait|events|spawn|/processes|pane|tmux");

    final Services services;
    private final Path project;
    private final HttpServer http;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final String operator;
    private String agentToken;
    private int agents;

    private FuzzedHub(Path project) {
        this.project = project;
        services = new Services(project, TestStores.open(project, MutableClock.startingAt2030()));
        http = new HttpServer(services, "127.0.0.1", 0);
        operator = OperatorToken.readOrCreate(project);
        register();
    }

    /**
     * The hub the fuzzer talks to: {@code running}, or one started now. Jazzer's check of server-side
     * request forgery refuses every connection once fuzzing starts, unless told otherwise: told here,
     * before each input, that the fuzzer talks to this hub only.
     */
    static FuzzedHub ready(FuzzedHub running, Path project) {
        BugDetectors.allowNetworkConnections((host, port) -> host.equals("127.0.0.1") || host.equals("localhost"));
        return running != null ? running : new FuzzedHub(project);
    }

    /** Whether the fuzzer's request is one this target leaves out (see {@link #LEFT_OUT}). */
    static boolean leftOut(String request) {
        return LEFT_OUT.matcher(request).find();
    }

    /** The fuzzer's agent's token (registered again when the one before left). */
    String agentToken() {
        return agentToken;
    }

    /** The fuzzer's agent left (a request made it leave, or answered 401 for its token): the next request acts as a new one. */
    void register() {
        Reply registered = send("POST", "/api/v1/agents", operator, Map.of(), "{\"id\":\"fuzzer-" + ++agents + "\"}").orElseThrow();
        assertThat(registered.status()).as(registered.body()).isEqualTo(201);
        agentToken = registered.json().path("token").asString();
    }

    /** An answer: its status, content type, body and MCP session (its header, or null). */
    record Reply(int status, String type, String body, String session) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    /** Sends a request; empty when no HTTP client could send it (a path that is no URI, a method that is no token). */
    Optional<Reply> send(String method, String path, String token, Map<String, String> headers, String body) {
        HttpRequest.Builder request;
        try {
            request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path)).timeout(Duration.ofSeconds(60))
                    .method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + token);
            headers.forEach(request::header);
        } catch (IllegalArgumentException unsendable) {
            return Optional.empty();
        }
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return Optional.of(new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body(),
                    response.headers().firstValue("Mcp-Session-Id").orElse(null)));
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An error document as every adapter writes it: a documented code and a message saying what was wrong. */
    static void assertRefusal(JsonNode document, String what) {
        JsonNode error = document.path("error");
        assertThat(error.path("code").asString()).as(what).isIn(REFUSAL_CODES);
        assertThat(error.path("message").asString()).as(what).isNotBlank();
    }

    /** What a request could change: the event log's newest entry, every lease (each write logs an event; leases, to be sure) and the project's files. */
    record State(long newestEvent, List<Lease> leases, Map<String, String> projectFiles) {
    }

    State state() {
        List<Lease> leases = services.leases.list(null, true);
        long newest = services.log.latest(null, null, 1).stream().mapToLong(Event::id).max().orElse(0);
        return new State(newest, leases, projectFiles());
    }

    /** The project's files outside .swarm, each with a digest of its content: a refused fenced write leaves no draft and changes no file. */
    private Map<String, String> projectFiles() {
        Path swarm = project.resolve(".swarm");
        try (Stream<Path> walked = Files.walk(project)) {
            Map<String, String> files = new TreeMap<>();
            walked.filter(path -> !path.startsWith(swarm) && Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS))
                    .forEach(path -> files.put(project.relativize(path).toString(), digest(path)));
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String digest(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The events logged since {@code before} (for a failure's message). */
    List<Event> since(State before) {
        return services.log.after(before.newestEvent(), null, null, 100);
    }

    @Override
    public void close() {
        http.close();
        services.close();
    }
}
