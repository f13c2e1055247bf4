package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.Await;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The hub's HTTP JSON API under /api/v1, driven over real HTTP/1.1 against an in-process hub:
 * authentication before anything else, clear 4xx answers that change nothing, the lock and
 * agent semantics, Idempotency-Key, blocking acquires granted in arrival order, and the
 * OpenAPI document.
 */
class ApiTest {

    @TempDir
    Path project;

    private Hub hub;
    private HubApi api;
    private String operator;

    @BeforeEach
    void startHub() {
        hub = startHub(project);
        api = new HubApi(hub.port());
        operator = OperatorToken.readOrCreate(project);
    }

    @AfterEach
    void stopHub() {
        if (hub != null) {
            hub.close();
        }
        if (api != null) {
            api.close();
        }
    }

    static Hub startHub(Path root) {
        dev.swarmhub.testing.TestStores.prepare(root);
        return Hub.start(root, services -> (args, env, cwd, out, err) -> dev.swarmhub.cli.Swarm.run(args, env, cwd, out, err, services),
                Hub.Address.LOOPBACK);
    }

    // ---------------------------------------------------------------- 1. authentication first

    @Test
    void everyRouteAnswers401WithoutAValidBearerTokenBeforeLookingAtAnythingElse() {
        String agentToken = api.register(operator, "alice");
        api.ok(api.post(agentToken, "/locks", "{\"resources\":[\"src/held.py\"]}"));
        StoreState before = api.state(operator);

        List<String[]> routes = List.of(
                new String[] {"GET", "/locks"}, new String[] {"GET", "/locks?resource=../../etc/passwd"},
                new String[] {"POST", "/locks"}, new String[] {"POST", "/locks/renew"}, new String[] {"POST", "/locks/release"},
                new String[] {"POST", "/locks/cleanup"}, new String[] {"POST", "/locks/release-agent"},
                new String[] {"GET", "/agents"}, new String[] {"POST", "/agents"}, new String[] {"POST", "/agents/heartbeat"},
                new String[] {"POST", "/agents/leave"}, new String[] {"GET", "/log?limit=x"}, new String[] {"GET", "/events"},
                new String[] {"GET", "/openapi.json"}, new String[] {"GET", "/no/such/route"}, new String[] {"POST", "/nope"},
                new String[] {"GET", "/messages"}, new String[] {"GET", "/messages?wait=5s"}, new String[] {"POST", "/messages"},
                new String[] {"POST", "/messages/broadcast"}, new String[] {"GET", "/messages/search?q=x"},
                new String[] {"GET", "/messages/01ABCDEFGH"}, new String[] {"POST", "/messages/01ABCDEFGH/ack"},
                new String[] {"POST", "/messages/01ABCDEFGH/reply"}, new String[] {"GET", "/messages/01ABCDEFGH/thread"},
                new String[] {"DELETE", "/agents"}, new String[] {"PUT", "/locks"}, new String[] {"GET", ""}, new String[] {"GET", "/"});
        List<String> authorizations = new ArrayList<>();
        authorizations.add(null);
        authorizations.addAll(List.of("Bearer garbage-token-0123456789", "Basic x", "Bearer ", "Bearer",
                "Basic " + operator, "Token " + operator, "Bearer " + operator + "x", "Bearer " + agentToken.substring(1)));
        List<String> bodies = List.of("{\"resources\": [\"src/a.py\"", "{\"agent\":\"alice\"}");

        SoftAssertions soft = new SoftAssertions();
        int checked = 0;
        for (String[] route : routes) {
            for (String authorization : authorizations) {
                for (String body : route[0].equals("GET") ? List.of("") : bodies) {
                    HttpRequest.Builder request = api.request(route[1], authorization);
                    request = route[0].equals("GET") ? request.GET()
                            : request.method(route[0], HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
                    Reply reply = api.send(request.build());
                    String what = route[0] + " " + route[1] + " with Authorization " + authorization + " body " + body;
                    assertUnauthenticated(soft, reply, what);
                    checked++;
                }
            }
        }
        // a wrong content type, an oversized body: still 401 first
        assertUnauthenticated(soft, api.send(api.request("/locks", null).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello")).build()), "text/plain without token");
        assertUnauthenticated(soft, api.send(api.request("/locks", "Bearer nope").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(oversizedAcquire())).build()), "oversized body with a garbage token");
        // a bad Host header without a token: 401, not 400 (the token is checked first)
        Reply badHost = HubApi.raw(hub.port(), "GET /api/v1/locks HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
        soft.assertThat(badHost.status()).as("bad Host without token").isEqualTo(401);
        soft.assertThat(badHost.body()).as("bad Host without token").contains("unauthenticated");
        soft.assertAll();
        System.out.println("ApiTest: " + (checked + 3) + " unauthenticated requests all answered 401");

        assertThat(api.state(operator)).as("store after unauthenticated requests").isEqualTo(before);
    }

    private static void assertUnauthenticated(SoftAssertions soft, Reply reply, String what) {
        soft.assertThat(reply.status()).as(what + ": " + reply.body()).isEqualTo(401);
        soft.assertThat(reply.headers().firstValue("WWW-Authenticate")).as(what).hasValue("Bearer");
        soft.assertThat(reply.headers().firstValue("Content-Type").orElse("")).as(what).startsWith("application/json");
        if (reply.status() == 401) {
            JsonNode error = reply.json().path("error");
            soft.assertThat(error.path("code").asString()).as(what).isEqualTo("unauthenticated");
            soft.assertThat(error.path("message").asString()).as(what).isNotBlank();
            soft.assertThat(reply.body()).as(what + ": no token echoed").doesNotContain("garbage-token");
        }
    }

    // ---------------------------------------------------------------- 2. bad requests

    /** One bad request: who sends it, what, and what the answer must say. */
    private record Bad(String name, String who, String method, String path, Map<String, String> headers, String body,
                       Set<Integer> statuses, String mentions) {
        Bad(String name, String who, String method, String path, Map<String, String> headers, String body, int status, String mentions) {
            this(name, who, method, path, headers, body, Set.of(status), mentions);
        }
    }

    @Test
    void badRequestsGetAClear4xxNamingTheProblemAndChangeNothing() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/held.py\"],\"reason\":\"setup\"}"));
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"docs/**\"]}"));
        String toBob = api.ok(api.post(alice, "/messages", "{\"to\":[\"bob\"],\"type\":\"question\",\"text\":\"setup\"}"))
                .json().path("id").asString();
        Map<String, String> json = Map.of("Content-Type", "application/json");
        String ownPid = Long.toString(ProcessHandle.current().pid());

        List<Bad> cases = new ArrayList<>(List.of(
                // malformed or empty bodies
                new Bad("truncated JSON", "alice", "POST", "/locks", json, "{\"resources\": [\"src/a.py\"", 400, "JSON"),
                new Bad("not JSON at all", "alice", "POST", "/locks", json, "resources=src/a.py", 400, "JSON"),
                new Bad("trailing garbage", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"]} trailing", 400, "JSON"),
                new Bad("JSON null body", "alice", "POST", "/locks", json, "null", 400, "JSON"),
                new Bad("JSON nested past the limit", "alice", "POST", "/locks", json,
                        "{\"resources\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}", 400, "nesting depth"),
                new Bad("a charset not known", "alice", "POST", "/locks", Map.of("Content-Type", "application/json; charset=bogus"),
                        "{\"resources\":[\"src/a.py\"]}", 400, "UTF-8"),
                new Bad("another charset", "alice", "POST", "/locks", Map.of("Content-Type", "application/json; charset=latin1"),
                        "{\"resources\":[\"src/a.py\"]}", 400, "UTF-8"),
                new Bad("JSON array body", "alice", "POST", "/locks", json, "[\"src/a.py\"]", 400, "not an array"),
                new Bad("empty body", "alice", "POST", "/locks", json, "", 400, "body"),
                // refused by the HTTP server before the API sees it: still the API's error document (found by ApiFuzzTest)
                new Bad("an empty path segment", "alice", "POST", "/locks//renew", json, "{\"all\":true}", 400, "empty segment"),
                new Bad("an empty path segment with another method", "alice", "PUT", "/locks//renew", json, "{}", 400, "empty segment"),
                new Bad("blank body", "alice", "POST", "/locks/release", json, "   ", 400, "body"),
                new Bad("empty body for register", "operator", "POST", "/agents", json, "", 400, "body"),
                new Bad("duplicate key in acquire", "alice", "POST", "/locks", json,
                        "{\"resources\":[\"src/a.py\"],\"ttl\":\"1m\",\"ttl\":\"20h\"}", 400, "\"ttl\""),
                new Bad("duplicate key in register", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"id\":\"bob\"}", 400, "\"id\""),
                new Bad("duplicate key in a message", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"hi\",\"text\":\"rm -rf\"}", 400, "\"text\""),
                // wrong types
                new Bad("resources as string", "alice", "POST", "/locks", json, "{\"resources\":\"src/a.py\"}", 400, "resources"),
                new Bad("resources as object", "alice", "POST", "/locks", json, "{\"resources\":{\"a\":1}}", 400, "resources"),
                new Bad("ttl as object", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"ttl\":{\"m\":5}}", 400, "ttl"),
                new Bad("ttl as array", "alice", "POST", "/locks/renew", json, "{\"all\":true,\"ttl\":[\"5m\"]}", 400, "ttl"),
                new Bad("all as object", "alice", "POST", "/locks/release", json, "{\"all\":{}}", 400, "all"),
                new Bad("all as word", "alice", "POST", "/locks/renew", json, "{\"all\":\"maybe\"}", 400, "all"),
                new Bad("pid as word", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"pid\":\"abc\"}", 400, "pid"),
                new Bad("pid as numeric string", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"pid\":\"" + ownPid + "\"}", 400, "pid"),
                new Bad("reason as a number", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"reason\":5}", 400, "reason"),
                new Bad("pid as object", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"pid\":{}}", 400, "pid"),
                // unknown fields
                new Bad("unknown field in acquire", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"bogus\":true}", 400, "bogus"),
                new Bad("unknown field in register", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"team\":\"x\"}", 400, "team"),
                new Bad("unknown field in release-agent", "operator", "POST", "/locks/release-agent", json,
                        "{\"agent\":\"alice\",\"force\":true}", 400, "force"),
                // missing or invalid values
                new Bad("missing resources", "alice", "POST", "/locks", json, "{\"ttl\":\"5m\"}", 400, "resources"),
                new Bad("empty resources", "alice", "POST", "/locks", json, "{\"resources\":[]}", 400, "resources"),
                new Bad("missing resources in renew", "alice", "POST", "/locks/renew", json, "{\"ttl\":\"5m\"}", 400, "resources"),
                new Bad("missing resources in release", "alice", "POST", "/locks/release", json, "{}", 400, "resources"),
                new Bad("resource climbing out", "alice", "POST", "/locks", json, "{\"resources\":[\"../etc/passwd\"]}", 400, "../etc/passwd"),
                new Bad("absolute resource outside", "alice", "POST", "/locks", json, "{\"resources\":[\"/etc/passwd\"]}", 400, "/etc/passwd"),
                new Bad("one bad resource among good ones", "alice", "POST", "/locks", json,
                        "{\"resources\":[\"src/ok.py\",\"src/../../x\"]}", 400, "src/../../x"),
                new Bad("resource with NUL", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a\\u0000.py\"]}", 400, "NUL"),
                new Bad("ttl zero", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"ttl\":\"0s\"}", 400, "ttl"),
                new Bad("ttl too long", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"ttl\":\"25h\"}", 400, "ttl"),
                new Bad("ttl nonsense", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"ttl\":\"soon\"}", 400, "soon"),
                new Bad("renew ttl too long", "alice", "POST", "/locks/renew", json, "{\"resources\":[\"src/held.py\"],\"ttl\":\"48h\"}", 400, "ttl"),
                new Bad("unknown mode", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"mode\":\"bogus\"}", 400, "bogus"),
                new Bad("bad wait", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"wait\":\"forever\"}", 400, "forever"),
                new Bad("reason with newline", "alice", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"],\"reason\":\"a\\nb\"}", 400, "reason"),
                new Bad("bad agent id", "operator", "POST", "/agents", json, "{\"id\":\"bad id!\"}", 400, "bad id!"),
                new Bad("agent id climbing", "operator", "POST", "/agents", json, "{\"id\":\"../x\"}", 400, "../x"),
                new Bad("unknown agent kind", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"kind\":\"robot\"}", 400, "robot"),
                new Bad("bad pane", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"pane\":\"3\"}", 400, "pane"),
                new Bad("negative pid", "operator", "POST", "/agents", json, "{\"id\":\"carol\",\"pid\":-1}", 400, "pid"),
                new Bad("release-agent without agent", "operator", "POST", "/locks/release-agent", json, "{}", 400, "agent"),
                new Bad("release-agent bad id", "operator", "POST", "/locks/release-agent", json, "{\"agent\":\"a b\"}", 400, "a b"),
                // content type, size
                new Bad("text/plain", "alice", "POST", "/locks", Map.of("Content-Type", "text/plain"),
                        "{\"resources\":[\"src/a.py\"]}", 400, "text/plain"),
                new Bad("form content type", "operator", "POST", "/agents", Map.of("Content-Type", "application/x-www-form-urlencoded"),
                        "id=carol", 400, "application/x-www-form-urlencoded"),
                new Bad("a type that only begins like JSON's", "alice", "POST", "/locks", Map.of("Content-Type", "application/jsonfoo"),
                        "{\"resources\":[\"src/a.py\"]}", 400, "application/jsonfoo"),
                new Bad("oversized body", "alice", "POST", "/locks", json, oversizedAcquire(), 413, "65536"),
                // query parameters
                new Bad("limit not a number", "operator", "GET", "/log?limit=x", Map.of(), null, 400, "limit"),
                new Bad("limit zero", "operator", "GET", "/log?limit=0", Map.of(), null, 400, "limit"),
                new Bad("limit negative", "operator", "GET", "/log?limit=-5", Map.of(), null, 400, "limit"),
                new Bad("after not a number", "operator", "GET", "/log?after=x", Map.of(), null, 400, "after"),
                new Bad("after fraction", "operator", "GET", "/log?after=1.5", Map.of(), null, 400, "after"),
                new Bad("events after not a number", "operator", "GET", "/events?after=x", Map.of(), null, 400, "x"),
                new Bad("events Last-Event-ID not a number", "operator", "GET", "/events", Map.of("Last-Event-ID", "abc"), null, 400, "abc"),
                new Bad("who on a resource outside", "operator", "GET", "/locks?resource=../etc/passwd", Map.of(), null, 400, "../etc/passwd"),
                new Bad("holder with a bad id", "operator", "GET", "/locks?holder=a%20b", Map.of(), null, 400, "a b"),
                // unknown routes and methods
                new Bad("unknown route", "operator", "GET", "/nope", Map.of(), null, 404, "/nope"),
                new Bad("unknown POST route", "alice", "POST", "/locks/steal", json, "{}", 404, "/locks/steal"),
                new Bad("wrong method", "operator", "DELETE", "/locks", Map.of(), null, 404, "DELETE /locks"),
                new Bad("GET on a POST route", "operator", "GET", "/locks/renew", Map.of(), null, 404, "/locks/renew"),
                new Bad("POST on a GET route", "operator", "POST", "/log", json, "{}", 404, "/log"),
                // messages
                new Bad("send without to", "alice", "POST", "/messages", json, "{\"type\":\"info\",\"text\":\"hi\"}", 400, "to"),
                new Bad("send with empty to", "alice", "POST", "/messages", json, "{\"to\":[],\"type\":\"info\",\"text\":\"hi\"}", 400, "to"),
                new Bad("send to unknown agents", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\",\"nobody\",\"ghost\"],\"type\":\"info\",\"text\":\"hi\"}", 400, "nobody, ghost"),
                new Bad("send to a bad id", "alice", "POST", "/messages", json, "{\"to\":[\"b b\"],\"type\":\"info\",\"text\":\"hi\"}", 400, "b b"),
                new Bad("send to 101 recipients", "alice", "POST", "/messages", json, "{\"to\":[" + String.join(",",
                        java.util.stream.IntStream.range(0, 101).mapToObj(i -> "\"agent-" + i + "\"").toList()) + "],\"type\":\"info\",\"text\":\"hi\"}",
                        400, "at most 100"),
                new Bad("send without type", "alice", "POST", "/messages", json, "{\"to\":[\"bob\"],\"text\":\"hi\"}", 400, "type"),
                new Bad("send an unknown type", "alice", "POST", "/messages", json, "{\"to\":[\"bob\"],\"type\":\"gossip\",\"text\":\"hi\"}", 400, "gossip"),
                new Bad("send the hub's own type", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\"],\"type\":\"escalation\",\"text\":\"hi\"}", 400, "escalation"),
                new Bad("send without text", "alice", "POST", "/messages", json, "{\"to\":[\"bob\"],\"type\":\"info\"}", 400, "text"),
                new Bad("send only invisible text", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"\\u200b\\u202e\\u0007\"}", 400, "empty"),
                new Bad("send text over 10 KB", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"" + "x".repeat(10_241) + "\"}", 400, "10240"),
                new Bad("send text as a number", "alice", "POST", "/messages", json, "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":5}", 400, "text"),
                new Bad("send an unknown priority", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"hi\",\"priority\":\"asap\"}", 400, "asap"),
                new Bad("send into an unknown thread", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"hi\",\"thread\":\"01ZZZZZZZZ\"}", 400, "01ZZZZZZZZ"),
                new Bad("send with an unknown field", "alice", "POST", "/messages", json,
                        "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"hi\",\"cc\":[\"bob\"]}", 400, "cc"),
                new Bad("broadcast naming recipients", "alice", "POST", "/messages/broadcast", json,
                        "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"hi\"}", 400, "to"),
                new Bad("reply naming a thread", "bob", "POST", "/messages/" + toBob + "/reply", json,
                        "{\"text\":\"hi\",\"thread\":\"" + toBob + "\"}", 400, "thread"),
                new Bad("reply to an unknown message", "bob", "POST", "/messages/01ZZZZZZZZZZ/reply", json, "{\"text\":\"hi\"}", 400, "01ZZZZZZZZZZ"),
                new Bad("reply to a message of others", "dave", "POST", "/messages/" + toBob + "/reply", json, "{\"text\":\"hi\"}",
                        409, "neither from nor to dave"),
                new Bad("ack by the sender", "alice", "POST", "/messages/" + toBob + "/ack", json, "", 409, "only a recipient"),
                new Bad("ack of an unknown message", "bob", "POST", "/messages/01ZZZZZZZZZZ/ack", json, "", 400, "01ZZZZZZZZZZ"),
                new Bad("ack with a short id", "bob", "POST", "/messages/01M/ack", json, "", 400, "too short"),
                new Bad("unknown action on a message", "operator", "GET", "/messages/" + toBob + "/nope", Map.of(), null, 404, "nope"),
                new Bad("inbox wait nonsense", "bob", "GET", "/messages?wait=forever", Map.of(), null, 400, "forever"),
                new Bad("search without words", "bob", "GET", "/messages/search", Map.of(), null, 400, "q"),
                new Bad("search with blank words", "bob", "GET", "/messages/search?q=%20", Map.of(), null, 400, "empty"),
                new Bad("search with a NUL byte", "bob", "GET", "/messages/search?q=a%00b", Map.of(), null, 400, "U+0000"),
                // idempotency keys
                new Bad("bad Idempotency-Key", "operator", "POST", "/agents", Map.of("Content-Type", "application/json",
                        "Idempotency-Key", "has spaces in it"), "{\"id\":\"carol\"}", 400, "Idempotency-Key"),
                new Bad("overlong Idempotency-Key", "alice", "POST", "/locks", Map.of("Content-Type", "application/json",
                        "Idempotency-Key", "k".repeat(129)), "{\"resources\":[\"src/a.py\"]}", 400, "Idempotency-Key")));

        Map<String, String> tokens = Map.of("alice", alice, "bob", bob, "operator", operator, "dave", api.register(operator, "dave"));
        SoftAssertions soft = new SoftAssertions();
        checkEach(cases, tokens, soft);

        // the same checks for what HttpClient cannot send: a chunked oversized body, a bad Host
        StoreState before = api.state(operator);
        Reply chunked = api.send(api.request("/locks", "Bearer " + alice).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                        oversizedAcquire().getBytes(StandardCharsets.UTF_8)))).build());
        assertClearError(soft, chunked, "chunked oversized body", 413, "65536");
        Reply badHost = HubApi.raw(hub.port(), "GET /api/v1/locks HTTP/1.1\r\nHost: evil.example:" + hub.port()
                + "\r\nAuthorization: Bearer " + operator + "\r\nConnection: close\r\n\r\n");
        soft.assertThat(badHost.status()).as("bad Host header: " + badHost.body()).isEqualTo(400);
        soft.assertThat(badHost.body()).as("bad Host header").contains("bad_input").contains("evil.example");
        Reply badHostWrite = HubApi.raw(hub.port(), "POST /api/v1/locks HTTP/1.1\r\nHost: attacker.example\r\nAuthorization: Bearer "
                + alice + "\r\nContent-Type: application/json\r\nContent-Length: 26\r\nConnection: close\r\n\r\n{\"resources\":[\"src/a.py\"]}");
        soft.assertThat(badHostWrite.status()).as("bad Host on a write: " + badHostWrite.body()).isEqualTo(400);
        soft.assertThat(badHostWrite.body()).as("bad Host on a write").contains("attacker.example");
        soft.assertThat(api.state(operator)).as("store after chunked oversized body and bad Host").isEqualTo(before);
        soft.assertAll();
    }

    @Test
    void aHubListeningOnEveryAddressAnswersToThisMachinesAddressesAndNamesOnly(@TempDir Path remoteProject) throws Exception {
        List<String> ownAddresses = java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(NetworkInterface -> java.util.Collections.list(NetworkInterface.getInetAddresses()).stream())
                .filter(address -> !address.isLoopbackAddress() && !address.isLinkLocalAddress())
                .map(address -> address instanceof java.net.Inet6Address ? "[" + address.getHostAddress().replaceFirst("%.*", "") + "]" : address.getHostAddress())
                .toList();
        org.junit.jupiter.api.Assumptions.assumeFalse(ownAddresses.isEmpty(), "this machine has only loopback addresses");
        Hub remote = Hub.start(remoteProject, services -> (args, env, cwd, out, err) -> 1, new Hub.Address("0.0.0.0", 0));
        try {
            String token = OperatorToken.readOrCreate(remoteProject);
            java.util.function.Function<String, Reply> withHost = host -> HubApi.raw(remote.port(), "GET /api/v1/agents HTTP/1.1\r\nHost: "
                    + host + "\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n");
            SoftAssertions soft = new SoftAssertions();
            List<String> served = new ArrayList<>(List.of("127.0.0.1", "localhost", java.net.InetAddress.getLocalHost().getHostName()));
            served.addAll(ownAddresses);
            for (String host : served) {
                Reply reply = withHost.apply(host + ":" + remote.port());
                soft.assertThat(reply.status()).as("Host " + host + ": " + reply.body()).isEqualTo(200);
            }
            for (String host : List.of("evil.example:" + remote.port(), ownAddresses.get(0) + ":" + (remote.port() + 1),
                    "192.0.2.254:" + remote.port(), ownAddresses.get(0))) {
                Reply reply = withHost.apply(host);
                soft.assertThat(reply.status()).as("Host " + host + ": " + reply.body()).isEqualTo(400);
            }
            soft.assertAll();
        } finally {
            remote.close();
        }
    }

    @Test
    void agentOperationsWithTheOperatorTokenAreRefusedAndChangeNothing() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/held.py\"]}"));
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"docs/**\"]}"));
        Map<String, String> json = Map.of("Content-Type", "application/json");
        // the operator token names no agent: these are refused (bad input or unauthenticated), never applied to anyone
        Set<Integer> refused = Set.of(400, 401);
        List<Bad> cases = List.of(
                new Bad("operator acquires", "operator", "POST", "/locks", json, "{\"resources\":[\"src/a.py\"]}", refused, "agent"),
                new Bad("operator renews", "operator", "POST", "/locks/renew", json, "{\"all\":true}", refused, "agent"),
                new Bad("operator releases all", "operator", "POST", "/locks/release", json, "{\"all\":true}", refused, "agent"),
                new Bad("operator releases one", "operator", "POST", "/locks/release", json, "{\"resources\":[\"src/held.py\"]}",
                        refused, "agent"),
                new Bad("operator heartbeat", "operator", "POST", "/agents/heartbeat", json, "{}", refused, "agent"),
                new Bad("operator leaves", "operator", "POST", "/agents/leave", json, "{}", refused, "agent"));
        SoftAssertions soft = new SoftAssertions();
        checkEach(cases, Map.of("operator", operator), soft);
        soft.assertAll();
        // messages are the exception: the operator sends them as itself (the dashboard does), and answers come to its inbox
        assertThat(api.ok(api.post(operator, "/messages", "{\"to\":[\"bob\"],\"type\":\"info\",\"text\":\"x\"}")).json()
                .path("from").asString()).isEqualTo("operator");
    }

    private void checkEach(List<Bad> cases, Map<String, String> tokens, SoftAssertions soft) {
        for (Bad bad : cases) {
            StoreState before = api.state(operator);
            HttpRequest.Builder request = api.request(bad.path(), "Bearer " + tokens.get(bad.who()));
            bad.headers().forEach(request::header);
            request = bad.body() == null ? request.method(bad.method(), HttpRequest.BodyPublishers.noBody())
                    : request.method(bad.method(), HttpRequest.BodyPublishers.ofString(bad.body()));
            Reply reply = api.send(request.build());
            String what = bad.name() + " (" + bad.method() + " " + bad.path() + ")";
            System.out.println("ApiTest bad request: " + what + " -> " + reply.status() + " " + abbreviate(reply.body()));
            assertClearError(soft, reply, what, bad.statuses(), bad.mentions());
            soft.assertThat(api.state(operator)).as(what + ": store unchanged").isEqualTo(before);
        }
    }

    private static void assertClearError(SoftAssertions soft, Reply reply, String what, int status, String mentions) {
        assertClearError(soft, reply, what, Set.of(status), mentions);
    }

    private static void assertClearError(SoftAssertions soft, Reply reply, String what, Set<Integer> statuses, String mentions) {
        soft.assertThat(reply.status()).as(what + ": status; body " + abbreviate(reply.body())).isIn(statuses);
        int status = reply.status();
        soft.assertThat(reply.headers().firstValue("Content-Type").orElse("")).as(what + ": content type").startsWith("application/json");
        JsonNode error;
        try {
            error = reply.json().path("error");
        } catch (RuntimeException notJson) {
            soft.fail(what + ": answer is not JSON: " + reply.body());
            return;
        }
        soft.assertThat(error.path("code").asString()).as(what + ": error code").isEqualTo(switch (status) {
            case 401 -> "unauthenticated";
            case 409 -> "denied";
            default -> "bad_input";
        });
        soft.assertThat(error.path("message").asString()).as(what + ": message names the problem").contains(mentions);
    }

    private static String oversizedAcquire() {
        return "{\"resources\":[\"src/a.py\"],\"reason\":\"" + "x".repeat(Api.MAX_BODY) + "\"}";
    }

    private static String abbreviate(String text) {
        return text.length() > 240 ? text.substring(0, 240) + "..." : text;
    }

    // ---------------------------------------------------------------- 3. semantics

    @Test
    void locksAndAgentsBehaveOverHttpAsInTheCli() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");

        Reply acquired = api.post(alice, "/locks", "{\"resources\":[\"src/a.py\"],\"ttl\":\"2m\",\"reason\":\"editing\"}");
        assertThat(acquired.status()).as(acquired.body()).isEqualTo(200);
        JsonNode lease = acquired.json().path("leases").get(0);
        assertThat(acquired.json().path("granted").asBoolean()).isTrue();
        assertThat(lease.path("resource").asString()).isEqualTo("src/a.py");
        assertThat(lease.path("agent").asString()).isEqualTo("alice");
        assertThat(lease.path("mode").asString()).isEqualTo("exclusive");
        assertThat(lease.path("reason").asString()).isEqualTo("editing");
        long token = lease.path("token").asLong();
        long leaseId = lease.path("id").asLong();

        Reply conflict = api.post(bob, "/locks", "{\"resources\":[\"src/a.py\"]}");
        assertThat(conflict.status()).as(conflict.body()).isEqualTo(409);
        assertThat(conflict.json().path("granted").asBoolean(true)).isFalse();
        assertThat(conflict.json().path("error").path("code").asString()).isEqualTo("conflict");
        JsonNode held = conflict.json().path("conflicts").get(0);
        assertThat(held.path("holder").asString()).isEqualTo("alice");
        assertThat(held.path("heldResource").asString()).isEqualTo("src/a.py");
        assertThat(held.path("reason").asString()).isEqualTo("editing");

        Reply renewed = api.post(alice, "/locks/renew", "{\"resources\":[\"src/a.py\"],\"ttl\":\"10m\"}");
        assertThat(renewed.status()).as(renewed.body()).isEqualTo(200);
        JsonNode renewedLease = renewed.json().path("renewed").get(0);
        assertThat(renewedLease.path("token").asLong()).as("renewal keeps the fencing token").isEqualTo(token);
        assertThat(renewedLease.path("id").asLong()).isEqualTo(leaseId);
        assertThat(renewedLease.path("expiresAt").asString()).isGreaterThan(lease.path("expiresAt").asString());

        Reply notYours = api.post(bob, "/locks/release", "{\"resources\":[\"src/a.py\"]}");
        assertThat(notYours.status()).as(notYours.body()).isEqualTo(409);
        assertThat(notYours.json().path("error").path("code").asString()).isEqualTo("denied");
        assertThat(notYours.json().path("error").path("message").asString()).contains("alice");
        assertThat(api.leases(operator, "")).extracting(l -> l.path("resource").asString()).containsExactly("src/a.py");

        Reply forcedByAgent = api.post(bob, "/locks/release-agent", "{\"agent\":\"alice\"}");
        assertThat(forcedByAgent.status()).as(forcedByAgent.body()).isEqualTo(401);
        assertThat(forcedByAgent.json().path("error").path("code").asString()).isEqualTo("unauthenticated");
        for (String resource : List.of("/etc/passwd", "../../x", "name:")) { // refused as an agent before the resource is looked at
            Reply probe = api.post(bob, "/locks/release-agent", "{\"agent\":\"alice\",\"resource\":\"" + resource + "\"}");
            assertThat(probe.status()).as(resource + ": " + probe.body()).isEqualTo(401);
            assertThat(probe.json().path("error").path("message").asString()).as(resource).startsWith("only the operator may");
        }
        assertThat(api.leases(operator, "")).hasSize(1);
        Reply forced = api.post(operator, "/locks/release-agent", "{\"agent\":\"alice\",\"reason\":\"stuck\"}");
        assertThat(forced.status()).as(forced.body()).isEqualTo(200);
        assertThat(forced.json().path("agent").asString()).isEqualTo("alice");
        assertThat(forced.json().path("released")).extracting(l -> l.path("resource").asString()).containsExactly("src/a.py");
        assertThat(api.leases(operator, "")).isEmpty();
        JsonNode forceEvent = api.events(operator, "?kind=lease.force-released").get(0);
        assertThat(forceEvent.path("details").path("reason").asString()).isEqualTo("stuck");

        // a glob covers a path: who holds src/a.py names the glob's holder
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/**\"],\"mode\":\"shared\"}"));
        List<JsonNode> who = api.leases(operator, "?resource=src/a.py");
        assertThat(who).extracting(l -> l.path("resource").asString() + " " + l.path("agent").asString() + " " + l.path("kind").asString())
                .containsExactly("src/** bob glob");
        assertThat(api.leases(operator, "?resource=docs/x.md")).isEmpty();
        assertThat(api.leases(bob, "?holder=bob")).hasSize(1);
        Reply sharedOk = api.post(alice, "/locks", "{\"resources\":[\"src/b.py\"],\"mode\":\"shared\"}");
        assertThat(sharedOk.status()).as("shared beside shared: " + sharedOk.body()).isEqualTo(200);
        Reply exclusiveBlocked = api.post(alice, "/locks", "{\"resources\":[\"src/c.py\"]}");
        assertThat(exclusiveBlocked.status()).as("exclusive inside a shared glob: " + exclusiveBlocked.body()).isEqualTo(409);
        assertThat(exclusiveBlocked.json().path("conflicts").get(0).path("heldResource").asString()).isEqualTo("src/**");

        Map<String, JsonNode> agents = api.agents(operator);
        assertThat(agents.keySet()).containsExactlyInAnyOrder("alice", "bob");
        assertThat(agents.get("bob").path("leases")).extracting(JsonNode::asString).containsExactly("src/**");
        assertThat(agents.get("alice").path("leases")).extracting(JsonNode::asString).containsExactly("src/b.py");
        assertThat(agents.get("bob").path("status").asString()).isEqualTo("active");

        Reply heartbeat = api.post(alice, "/agents/heartbeat", "");
        assertThat(heartbeat.status()).as(heartbeat.body()).isEqualTo(200);
        assertThat(heartbeat.json().path("id").asString()).isEqualTo("alice");
        assertThat(heartbeat.json().path("status").asString()).isEqualTo("active");

        Reply left = api.post(bob, "/agents/leave", "");
        assertThat(left.status()).as(left.body()).isEqualTo(200);
        assertThat(left.json().path("released")).extracting(l -> l.path("resource").asString()).containsExactly("src/**");
        assertThat(api.agents(operator).get("bob").path("status").asString()).isEqualTo("gone");
        assertThat(api.ok(api.get(operator, "/agents")).json().path("agents")).as("gone agents only with all=true")
                .extracting(agent -> agent.path("id").asString()).contains("alice").doesNotContain("bob");
        assertThat(api.agents(operator).get("alice").path("leases")).extracting(JsonNode::asString).containsExactly("src/b.py");
        Reply afterLeaving = api.post(bob, "/agents/heartbeat", "");
        assertThat(afterLeaving.status()).as("a gone agent's token: " + afterLeaving.body()).isEqualTo(401);
        Reply nowFree = api.post(alice, "/locks", "{\"resources\":[\"src/c.py\"]}");
        assertThat(nowFree.status()).as(nowFree.body()).isEqualTo(200);

        Reply cleanup = api.post(operator, "/locks/cleanup", "");
        assertThat(cleanup.status()).as(cleanup.body()).isEqualTo(200);
        assertThat(cleanup.json().path("expired")).isEmpty();
    }

    @Test
    void messagesBehaveOverHttpAsInTheCli() throws Exception {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        String carol = api.register(operator, "carol");

        Reply sent = api.post(alice, "/messages", "{\"to\":[\"bob\"],\"type\":\"review_request\",\"text\":\"please look at auth\\nline two\"}");
        assertThat(sent.status()).as(sent.body()).isEqualTo(201);
        String id = sent.json().path("id").asString();
        assertThat(id).hasSize(26);
        assertThat(sent.json().path("type").asString()).isEqualTo("REVIEW-REQUEST");
        assertThat(sent.json().path("thread").asString()).isEqualTo(id);
        assertThat(sent.json().path("to").get(0).path("deliveredAt").isNull()).isTrue();

        Reply inbox = api.get(bob, "/messages?unread=true");
        assertThat(inbox.json().path("messages")).extracting(m -> m.path("id").asString()).containsExactly(id);
        JsonNode mine = inbox.json().path("messages").get(0).path("mine");
        assertThat(mine.path("deliveredAt").asString()).isNotEmpty();
        assertThat(mine.path("readAt").isNull()).isTrue();
        assertThat(inbox.json().path("messages").get(0).path("text").asString()).isEqualTo("please look at auth\nline two");

        // the sender sees the receipt; an outsider sees nothing; GET changes nothing
        Reply receipt = api.get(alice, "/messages/" + id.substring(0, 12).toLowerCase(java.util.Locale.ROOT));
        assertThat(receipt.status()).as(receipt.body()).isEqualTo(200);
        assertThat(receipt.json().path("to").get(0).path("deliveredAt").asString()).isEqualTo(mine.path("deliveredAt").asString());
        assertThat(receipt.json().path("to").get(0).path("readAt").isNull()).isTrue();
        assertThat(api.get(carol, "/messages/" + id).status()).isEqualTo(409);
        assertThat(api.get(operator, "/messages/" + id).status()).as("the operator sees every message").isEqualTo(200);

        Reply read = api.post(bob, "/messages/" + id + "/read", "");
        assertThat(read.json().path("mine").path("readAt").asString()).isNotEmpty();
        Reply acked = api.post(bob, "/messages/" + id + "/ack", "");
        Reply ackedAgain = api.post(bob, "/messages/" + id + "/ack", "");
        assertThat(ackedAgain.status()).as(ackedAgain.body()).isEqualTo(200);
        assertThat(ackedAgain.json().path("mine").path("ackedAt").asString()).isEqualTo(acked.json().path("mine").path("ackedAt").asString());
        assertThat(api.events(operator, "?kind=message.acked")).hasSize(1);

        Reply reply = api.post(bob, "/messages/" + id + "/reply", "{\"text\":\"done: looks fine\",\"type\":\"completed\"}");
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        assertThat(reply.json().path("thread").asString()).isEqualTo(id);
        assertThat(reply.json().path("replyTo").asString()).isEqualTo(id);
        assertThat(reply.json().path("to").get(0).path("agent").asString()).isEqualTo("alice");
        assertThat(api.get(alice, "/messages/" + id + "/thread").json().path("messages"))
                .extracting(m -> m.path("from").asString() + " " + m.path("type").asString()).containsExactly("alice REVIEW-REQUEST", "bob COMPLETED");
        assertThat(api.get(carol, "/messages/search?q=auth").json().path("messages")).as("search covers only the caller's messages").isEmpty();
        assertThat(api.get(alice, "/messages/search?q=auth").json().path("messages")).hasSize(1);
        assertThat(api.get(alice, "/messages/search?q=loo*").json().path("messages")).as("prefix search").hasSize(2);

        Reply broadcast = api.post(carol, "/messages/broadcast", "{\"type\":\"blocked\",\"text\":\"CI is red\"}");
        assertThat(broadcast.status()).as(broadcast.body()).isEqualTo(201);
        assertThat(broadcast.json().path("ackRequired").asBoolean()).as("BLOCKED asks for an ACK").isTrue();
        assertThat(broadcast.json().path("to")).extracting(r -> r.path("agent").asString()).containsExactly("alice", "bob");

        // a waiting inbox returns the message sent while it waits
        api.get(carol, "/messages"); // nothing unread for carol now
        CompletableFuture<Reply> waiting = api.getAsync(carol, "/messages?unread=true&wait=10s");
        Reply toCarol = api.ok(api.post(bob, "/messages", "{\"to\":[\"carol\"],\"type\":\"info\",\"text\":\"green again\"}"));
        Reply woken = Await.done(waiting);
        assertThat(woken.status()).as(woken.body()).isEqualTo(200);
        assertThat(woken.json().path("messages")).extracting(m -> m.path("id").asString()).contains(toCarol.json().path("id").asString());

        // the rate limit: 10 messages per 60 s per sender, however many hear each; the 11th is refused with 429 and Retry-After
        int accepted = 0;
        Reply refused = null;
        for (int i = 0; i < 12 && refused == null; i++) {
            Reply attempt = api.post(carol, "/messages", "{\"to\":[\"alice\"],\"type\":\"info\",\"text\":\"n" + i + "\"}");
            if (attempt.status() == 201) {
                accepted++;
            } else {
                refused = attempt;
            }
        }
        assertThat(accepted).as("carol sent 1 broadcast to 2 before: one message").isEqualTo(9);
        assertThat(refused).isNotNull();
        assertThat(refused.status()).as(refused.body()).isEqualTo(429);
        assertThat(refused.json().path("error").path("code").asString()).isEqualTo("rate_limited");
        assertThat(refused.json().path("error").path("retryAfterMs").asLong()).isBetween(1L, 60_000L);
        assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
    }

    // ---------------------------------------------------------------- 4. Idempotency-Key

    /**
     * A fenced write with an Idempotency-Key runs inside the key's store write, where it must not
     * wait for its file: the API holds the file first, so a write of it in progress in another
     * process makes the keyed write wait, not fail (it was refused at once, 503, under load).
     * The request is kept once, as a digest, not as its body.
     */
    @Test
    void aKeyedFencedWriteWaitsForTheFilesWriterInAnotherProcessAndIsKeptOnce() throws Exception {
        String alice = api.register(operator, "alice");
        long token = api.ok(api.post(alice, "/locks", "{\"resources\":[\"app.py\"]}")).json().path("leases").get(0).path("token").asLong();
        String write = "{\"path\":\"app.py\",\"token\":" + token + ",\"content\":\"" + "keyed ".repeat(1000) + "\"}";
        Map<String, String> key = Map.of("Idempotency-Key", "write-1");
        try (dev.swarmhub.testing.JavaProcess holder = dev.swarmhub.testing.JavaProcess.start(dev.swarmhub.host.StagedWriteHolder.class,
                Map.of(), project.resolve("holder.err"), project.toString(), "app.py")) {
            assertThat(holder.receive()).isEqualTo("staged");
            java.util.concurrent.CompletableFuture<Reply> keyed = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> api.post(alice, "/locks/write", write, key));
            dev.swarmhub.testing.Await.until("the keyed write answered, or waiting for the file", () -> keyed.isDone()
                    || threadDump().contains("HostLock.waitForFile"));
            holder.send(""); // the other writer ends its write without writing
            Reply written = keyed.get();
            assertThat(written.status()).as(written.body()).isEqualTo(200);
        }
        Reply again = api.post(alice, "/locks/write", write, key);
        assertThat(again.json().path("replayed").asBoolean()).as(again.body()).isTrue();
        assertThat(java.nio.file.Files.readString(project.resolve("app.py"))).isEqualTo("keyed ".repeat(1000));
        assertThat(api.events(operator, "?kind=lease.fenced-write")).hasSize(1);
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"));
             java.sql.ResultSet kept = db.createStatement().executeQuery("SELECT max(length(request)) FROM idempotency")) {
            assertThat(kept.next()).isTrue();
            assertThat(kept.getInt(1)).as("the request kept as a digest").isLessThan(200);
        }
    }

    /** Every thread's stack, virtual ones too (the hub's requests run on virtual threads). */
    private String threadDump() {
        Path dump = project.resolve("threads-" + System.nanoTime() + ".txt");
        try {
            java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpThreads(dump.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
            return java.nio.file.Files.readString(dump);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            dump.toFile().delete();
        }
    }

    @Test
    void idempotencyKeysReturnTheFirstAnswerAndApplyOnce() {
        Map<String, String> key = Map.of("Idempotency-Key", "register-1");
        Reply first = api.post(operator, "/agents", "{\"kind\":\"claude\",\"label\":\"retry me\"}", key);
        Reply retry = api.post(operator, "/agents", "{\"kind\":\"claude\",\"label\":\"retry me\"}", key);
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        assertThat(retry.status()).as(retry.body()).isEqualTo(201);
        assertThat(retry.json().path("id").asString()).isEqualTo(first.json().path("id").asString()).isEqualTo("agent-1");
        assertThat(retry.json().path("registeredAt").asString()).isEqualTo(first.json().path("registeredAt").asString());
        assertThat(api.agents(operator).keySet()).containsExactly("agent-1");
        assertThat(api.events(operator, "?kind=agent.registered")).hasSize(1);
        // the retry gives back the first answer's own token (kept sealed, IdempotentAnswers): no new token is issued
        String token = retry.json().path("token").asString();
        assertThat(token).isEqualTo(first.json().path("token").asString());
        assertThat(retry.json().path("replayed").asBoolean()).isTrue();
        assertThat(first.json().has("replayed")).isFalse();
        assertThat(api.post(token, "/agents/heartbeat", "").status()).isEqualTo(200);
        assertThat(api.events(operator, "?kind=agent.token-issued")).isEmpty();

        Reply reused = api.post(operator, "/agents", "{\"kind\":\"codex\"}", key);
        assertThat(reused.status()).as(reused.body()).isEqualTo(400);
        assertThat(reused.json().path("error").path("message").asString()).contains("register-1");
        assertThat(api.agents(operator).keySet()).containsExactly("agent-1");

        Reply badKey = api.post(operator, "/agents", "{\"kind\":\"codex\"}", Map.of("Idempotency-Key", "two words"));
        assertThat(badKey.status()).as(badKey.body()).isEqualTo(400);
        assertThat(badKey.json().path("error").path("message").asString()).contains("Idempotency-Key");
        assertThat(api.agents(operator).keySet()).containsExactly("agent-1");

        // without a key a second register is a second agent: the key made the difference
        api.ok(api.post(operator, "/agents", "{\"kind\":\"claude\",\"label\":\"retry me\"}"));
        assertThat(api.agents(operator).keySet()).containsExactlyInAnyOrder("agent-1", "agent-2");

        String agent = token;
        // a task's answer carries a "token" of its own (its claim's): a replay gives it back as it was, no registration involved
        Map<String, String> taskKey = Map.of("Idempotency-Key", "task-3");
        Reply created = api.post(agent, "/tasks", "{\"title\":\"once\"}", taskKey);
        Reply createdAgain = api.post(agent, "/tasks", "{\"title\":\"once\"}", taskKey);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(createdAgain.status()).as(createdAgain.body()).isEqualTo(201);
        assertThat(createdAgain.json().path("id").asString()).isEqualTo(created.json().path("id").asString());
        assertThat(createdAgain.json().path("replayed").asBoolean()).isTrue();
        assertThat(api.events(operator, "?kind=task.created")).hasSize(1);

        Map<String, String> lockKey = Map.of("Idempotency-Key", "acquire-7");
        String body = "{\"resources\":[\"src/idem.py\"],\"ttl\":\"1m\"}";
        Reply acquired = api.post(agent, "/locks", body, lockKey);
        Reply again = api.post(agent, "/locks", body, lockKey);
        assertThat(acquired.status()).as(acquired.body()).isEqualTo(200);
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        JsonNode lease = acquired.json().path("leases").get(0);
        JsonNode replayed = again.json().path("leases").get(0);
        assertThat(replayed.path("id").asLong()).isEqualTo(lease.path("id").asLong());
        assertThat(replayed.path("token").asLong()).isEqualTo(lease.path("token").asLong());
        assertThat(replayed.path("expiresAt").asString()).as("not renewed by the retry").isEqualTo(lease.path("expiresAt").asString());
        assertThat(again.json().path("replayed").asBoolean()).isTrue();
        assertThat(again.json().path("granted").asBoolean()).isTrue();
        assertThat(replayed.path("state").asString()).isEqualTo("held");
        assertThat(api.events(operator, "?kind=lease.acquired")).hasSize(1);
        assertThat(api.events(operator, "?kind=lease.renewed")).isEmpty();
        assertThat(api.leases(operator, "?all=true")).hasSize(1);

        // the same key by another caller is that caller's own key
        String other = api.register(operator, "other");
        Reply othersTry = api.post(other, "/locks", body, lockKey);
        assertThat(othersTry.status()).as(othersTry.body()).isEqualTo(409);
        Reply differentBody = api.post(agent, "/locks", "{\"resources\":[\"src/other.py\"]}", lockKey);
        assertThat(differentBody.status()).as(differentBody.body()).isEqualTo(400);
        assertThat(api.leases(operator, "?all=true")).hasSize(1);
    }

    @Test
    void aReplayedRegistrationNeverHandsOutAnotherRegistrationsIdentityAndStoredAnswersExpire() throws Exception {
        // carol registered with a key, left, and registered again: the replay must not take carol from her new owner
        Map<String, String> carolKey = Map.of("Idempotency-Key", "register-carol");
        String firstCarol = api.ok(api.post(operator, "/agents", "{\"id\":\"carol\"}", carolKey)).json().path("token").asString();
        api.ok(api.post(firstCarol, "/agents/leave", ""));
        String newCarol = api.register(operator, "carol");
        Reply stolen = api.post(operator, "/agents", "{\"id\":\"carol\"}", carolKey);
        assertThat(stolen.status()).as(stolen.body()).isEqualTo(409);
        assertThat(stolen.json().path("error").path("message").asString()).contains("register-carol", "carol", "no longer");
        assertThat(stolen.body()).doesNotContain("swt_");
        assertThat(api.post(newCarol, "/agents/heartbeat", "").status()).as("the live carol keeps her token").isEqualTo(200);

        // the operator rotated dave's token: a replay must not undo the rotation
        Map<String, String> daveKey = Map.of("Idempotency-Key", "register-dave");
        api.ok(api.post(operator, "/agents", "{\"id\":\"dave\"}", daveKey));
        String rotated = hub.services().agents.issueToken(dev.swarmhub.kernel.Caller.ofOperator(), "dave");
        Reply undone = api.post(operator, "/agents", "{\"id\":\"dave\"}", daveKey);
        assertThat(undone.status()).as(undone.body()).isEqualTo(409);
        assertThat(api.post(rotated, "/agents/heartbeat", "").status()).isEqualTo(200);
        assertThat(api.events(operator, "?kind=agent.token-issued")).as("only the rotation issued a token").hasSize(1);

        // another caller with the same key has a key of its own: no answer of the operator's
        String erin = api.register(operator, "erin");
        Reply othersKey = api.post(erin, "/agents", "{\"id\":\"dave\"}", daveKey);
        assertThat(othersKey.status()).as(othersKey.body()).isEqualTo(409); // dave is active: a fresh registration is refused
        assertThat(othersKey.json().path("error").path("message").asString()).doesNotContain("register-dave");

        // stored answers expire after 24 hours of store time: then the key names a new request
        Map<String, String> oldKey = Map.of("Idempotency-Key", "register-old");
        String firstOld = api.ok(api.post(operator, "/agents", "{\"kind\":\"codex\"}", oldKey)).json().path("id").asString();
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"))) {
            db.createStatement().execute("PRAGMA busy_timeout = 30000");
            db.createStatement().executeUpdate("UPDATE idempotency SET created_at = created_at - " + (IdempotentAnswers.KEPT.toMillis() + 1)
                    + " WHERE key = 'register-old'");
        }
        Reply afterExpiry = api.ok(api.post(operator, "/agents", "{\"kind\":\"codex\"}", oldKey));
        assertThat(afterExpiry.json().path("id").asString()).as("a new registration, not the expired answer").isNotEqualTo(firstOld);
        assertThat(afterExpiry.json().has("replayed")).isFalse();
        try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"))) {
            db.createStatement().execute("PRAGMA busy_timeout = 30000");
            db.createStatement().executeUpdate("UPDATE idempotency SET created_at = created_at - " + (IdempotentAnswers.KEPT.toMillis() + 1)
                    + " WHERE key = 'register-dave'");
        }
        assertThat(IdempotentAnswers.forgetExpired(hub.services().store)).as("answers the timer forgets").isEqualTo(1);
    }

    @Test
    void aReplayedAcquireSaysItIsAReplayAndGivesTheLeasesStateNowAndAnExpiredReleaseSaysSo() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        Map<String, String> key = Map.of("Idempotency-Key", "acquire-short");
        String body = "{\"resources\":[\"src/short.py\"],\"ttl\":\"1s\"}";
        JsonNode first = api.ok(api.post(alice, "/locks", body, key)).json();
        Await.until("alice's lease to expire", () -> api.leases(operator, "?resource=src/short.py").isEmpty());
        JsonNode bobs = api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/short.py\"]}")).json().path("leases").get(0);

        JsonNode replay = api.ok(api.post(alice, "/locks", body, key)).json();
        assertThat(replay.path("replayed").asBoolean()).isTrue();
        assertThat(replay.path("granted").asBoolean()).as("alice holds nothing now: " + replay).isFalse();
        JsonNode lease = replay.path("leases").get(0);
        assertThat(lease.path("id").asLong()).isEqualTo(first.path("leases").get(0).path("id").asLong());
        assertThat(lease.path("state").asString()).isEqualTo("ended");
        assertThat(lease.path("heldNowBy")).extracting(JsonNode::asString).containsExactly("bob");

        // releasing her expired lease tells alice it had expired and that bob holds the file; bob's lease stays
        JsonNode released = api.ok(api.post(alice, "/locks/release", "{\"resources\":[\"src/short.py\"]}")).json().path("released");
        assertThat(released).hasSize(1);
        assertThat(released.get(0).path("hadExpired").asBoolean()).as(released.toString()).isTrue();
        assertThat(released.get(0).path("heldNowBy")).extracting(JsonNode::asString).containsExactly("bob");
        assertThat(api.leases(operator, "?resource=src/short.py")).extracting(held -> held.path("id").asLong())
                .containsExactly(bobs.path("id").asLong());
    }

    @Test
    void anAcquireWhoseReasonIsWaitIsStillIdempotent() {
        String alice = api.register(operator, "alice");
        Map<String, String> key = Map.of("Idempotency-Key", "acquire-reason-wait");
        String body = "{\"resources\":[\"src/w.py\"],\"reason\":\"wait\"}";
        JsonNode first = api.ok(api.post(alice, "/locks", body, key)).json();
        JsonNode retry = api.ok(api.post(alice, "/locks", body, key)).json();
        assertThat(retry.path("replayed").asBoolean()).as(retry.toString()).isTrue();
        assertThat(retry.path("leases").get(0).path("expiresAt").asString()).as("the retry renewed nothing")
                .isEqualTo(first.path("leases").get(0).path("expiresAt").asString());
        assertThat(api.events(operator, "?kind=lease.renewed")).isEmpty();
    }

    @Test
    void aReplayedRenewOrReleaseGivesTheLeasesStateNow() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/r.py\"],\"ttl\":\"1s\"}"));
        Map<String, String> renewKey = Map.of("Idempotency-Key", "renew-r");
        String renew = "{\"resources\":[\"src/r.py\"],\"ttl\":\"1s\"}";
        JsonNode renewed = api.ok(api.post(alice, "/locks/renew", renew, renewKey)).json().path("renewed").get(0);
        Await.until("alice's renewed lease to expire", () -> api.leases(operator, "?resource=src/r.py").isEmpty());
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/r.py\"]}"));

        // the renew's answer was lost; its retry comes after the lease went to bob
        JsonNode replay = api.ok(api.post(alice, "/locks/renew", renew, renewKey)).json();
        assertThat(replay.path("replayed").asBoolean()).isTrue();
        assertThat(replay.path("held").asBoolean()).as("alice holds nothing now: " + replay).isFalse();
        JsonNode lease = replay.path("renewed").get(0);
        assertThat(lease.path("id").asLong()).isEqualTo(renewed.path("id").asLong());
        assertThat(lease.path("state").asString()).as(replay.toString()).isEqualTo("ended");
        assertThat(lease.path("heldNowBy")).extracting(JsonNode::asString).containsExactly("bob");

        // a renew replayed while the lease lives says held, with the expiry it has now
        api.ok(api.post(bob, "/locks/renew", "{\"resources\":[\"src/r.py\"],\"ttl\":\"1m\"}", renewKey));
        JsonNode bobsNow = api.ok(api.post(bob, "/locks/renew", "{\"resources\":[\"src/r.py\"],\"ttl\":\"10m\"}")).json().path("renewed").get(0);
        JsonNode bobsReplay = api.ok(api.post(bob, "/locks/renew", "{\"resources\":[\"src/r.py\"],\"ttl\":\"1m\"}", renewKey)).json();
        assertThat(bobsReplay.path("held").asBoolean()).as(bobsReplay.toString()).isTrue();
        assertThat(bobsReplay.path("renewed").get(0).path("state").asString()).isEqualTo("held");
        assertThat(bobsReplay.path("renewed").get(0).path("expiresAt").asString()).isEqualTo(bobsNow.path("expiresAt").asString());

        // a release replayed after another agent took the file says so
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/q.py\"]}"));
        Map<String, String> releaseKey = Map.of("Idempotency-Key", "release-q");
        api.ok(api.post(alice, "/locks/release", "{\"resources\":[\"src/q.py\"]}", releaseKey));
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/q.py\"]}"));
        JsonNode releaseReplay = api.ok(api.post(alice, "/locks/release", "{\"resources\":[\"src/q.py\"]}", releaseKey)).json();
        assertThat(releaseReplay.path("replayed").asBoolean()).isTrue();
        JsonNode released = releaseReplay.path("released").get(0);
        assertThat(released.path("state").asString()).as(releaseReplay.toString()).isEqualTo("ended");
        assertThat(released.path("heldNowBy")).extracting(JsonNode::asString).containsExactly("bob");
    }

    @Test
    void whoHoldsAnEndedLeasesFileNowCountsAGlobCoveringIt() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        Map<String, String> key = Map.of("Idempotency-Key", "acquire-a");
        String body = "{\"resources\":[\"src/a.py\"],\"ttl\":\"1s\"}";
        api.ok(api.post(alice, "/locks", body, key));
        Await.until("alice's lease to expire", () -> api.leases(operator, "?resource=src/a.py").isEmpty());
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/**\"]}"));

        JsonNode replayed = api.ok(api.post(alice, "/locks", body, key)).json().path("leases").get(0);
        assertThat(replayed.path("state").asString()).isEqualTo("ended");
        assertThat(replayed.path("heldNowBy")).as("bob's src/** covers src/a.py: " + replayed)
                .extracting(JsonNode::asString).containsExactly("bob");

        JsonNode released = api.ok(api.post(alice, "/locks/release", "{\"resources\":[\"src/a.py\"]}")).json().path("released").get(0);
        assertThat(released.path("hadExpired").asBoolean()).as(released.toString()).isTrue();
        assertThat(released.path("heldNowBy")).as("bob's src/** covers src/a.py: " + released)
                .extracting(JsonNode::asString).containsExactly("bob");
    }

    @Test
    void tokensOfGoneAgentsAndReplacedTokensAreRefusedOnEveryRoute() {
        // a token replaced by the operator, after it was used once (so the hub has seen it)
        String replaced = api.register(operator, "carol");
        assertThat(api.get(replaced, "/locks").status()).isEqualTo(200);
        assertThat(api.post(replaced, "/agents/heartbeat", "").status()).as("remembered by the hub as verified").isEqualTo(200);
        String current = hub.services().agents.issueToken(dev.swarmhub.kernel.Caller.ofOperator(), "carol");
        assertThat(current).isNotEqualTo(replaced);
        // an agent that left, after using its token (the leave itself verifies it)
        String dave = api.register(operator, "dave");
        assertThat(api.get(dave, "/agents").status()).isEqualTo(200);
        api.ok(api.post(dave, "/agents/leave", ""));
        assertThat(api.agents(operator).get("dave").path("status").asString()).isEqualTo("gone");

        SoftAssertions soft = new SoftAssertions();
        for (Map.Entry<String, String> stale : Map.of("replaced token of carol", replaced, "token of dave, gone", dave).entrySet()) {
            // first, while the hub still remembers the token as verified: operations that do or tell something before
            // their transaction checks the token (a spawn looks up its program, a fenced write stages its file)
            for (String route : List.of("POST /processes", "POST /locks/write", "POST /locks", "GET /locks", "GET /agents", "GET /log", "GET /openapi.json", "GET /events?after=x",
                    "POST /agents/heartbeat", "POST /locks/renew", "POST /locks/release")) {
                String[] parts = route.split(" ");
                Reply reply = parts[0].equals("GET") ? api.get(stale.getValue(), parts[1])
                        : api.post(stale.getValue(), parts[1], "{\"resources\":[\"src/a.py\"]}");
                soft.assertThat(reply.status()).as(stale.getKey() + " on " + route + ": " + abbreviate(reply.body())).isEqualTo(401);
            }
        }
        soft.assertAll();
        assertThat(api.post(current, "/agents/heartbeat", "").status()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- 5. blocking acquire

    @Test
    void blockingAcquireIsGrantedAtTheReleaseInArrivalOrder() throws Exception {
        String holder = api.register(operator, "holder");
        String first = api.register(operator, "first");
        String second = api.register(operator, "second");
        api.ok(api.post(holder, "/locks", "{\"resources\":[\"src/fifo.py\"]}"));
        String wait = "{\"resources\":[\"src/fifo.py\"],\"wait\":\"10s\"}";

        CompletableFuture<Reply> firstWait = api.postAsync(first, "/locks", wait);
        Await.until("first to queue", () -> queued(operator).contains("first"));
        CompletableFuture<Reply> secondWait = api.postAsync(second, "/locks", wait);
        Await.until("second to queue", () -> queued(operator).equals(List.of("first", "second")));
        assertThat(firstWait).isNotDone();
        assertThat(secondWait).isNotDone();

        long releasing = System.nanoTime();
        api.ok(api.post(holder, "/locks/release", "{\"resources\":[\"src/fifo.py\"]}"));
        long released = System.nanoTime();
        Reply granted = Await.done(firstWait); // a wait that timed out would answer 409: the status is the verdict
        long answered = System.nanoTime();
        assertThat(granted.status()).as(granted.body()).isEqualTo(200);
        assertThat(granted.json().path("leases").get(0).path("agent").asString()).isEqualTo("first");
        double afterRelease = (answered - released) / 1e6;
        System.out.printf("ApiTest: blocked acquire answered %.1f ms after the release returned (%.1f ms after it was sent)%n",
                afterRelease, (answered - releasing) / 1e6);
        assertThat(secondWait).as("second stays queued behind first").isNotDone();

        long releasing2 = System.nanoTime();
        api.ok(api.post(first, "/locks/release", "{\"resources\":[\"src/fifo.py\"]}"));
        Reply grantedSecond = Await.done(secondWait);
        System.out.printf("ApiTest: second waiter answered %.1f ms after the first released%n", (System.nanoTime() - releasing2) / 1e6);
        assertThat(grantedSecond.status()).as(grantedSecond.body()).isEqualTo(200);
        assertThat(grantedSecond.json().path("leases").get(0).path("agent").asString()).isEqualTo("second");
        assertThat(grantedSecond.json().path("leases").get(0).path("token").asLong())
                .isGreaterThan(granted.json().path("leases").get(0).path("token").asLong());
        assertThat(api.events(operator, "?kind=lease.acquired&after=0")).extracting(e -> e.path("agent").asString())
                .containsExactly("holder", "first", "second");
    }

    private List<String> queued(String token) {
        return api.events(token, "?kind=lease.queued&after=0").stream().map(e -> e.path("agent").asString()).toList();
    }

    // ---------------------------------------------------------------- 6. OpenAPI

    @Test
    void openApiDocumentListsEveryServedPath() {
        Reply reply = api.get(operator, "/openapi.json");
        assertThat(reply.status()).isEqualTo(200);
        JsonNode document = reply.json();
        assertThat(document.path("openapi").asString()).startsWith("3.");
        Set<String> paths = new HashSet<>(document.path("paths").propertyNames());
        assertThat(paths).containsExactlyInAnyOrder("/locks", "/locks/renew", "/locks/release", "/locks/cleanup", "/locks/write", "/locks/fence",
                "/locks/release-agent", "/locks/waiters", "/messages/recent", "/agents", "/agents/heartbeat", "/agents/leave", "/agents/activity", "/log", "/events", "/openapi.json",
                "/messages", "/messages/broadcast", "/messages/search", "/messages/{id}", "/messages/{id}/read", "/messages/{id}/ack",
                "/messages/{id}/reply", "/messages/{id}/thread", "/tasks", "/tasks/claim", "/tasks/stats", "/tasks/{id}", "/tasks/{id}/tree",
                "/tasks/{id}/report", "/tasks/{id}/cancel", "/tasks/{id}/reopen", "/tasks/{id}/assign", "/tasks/{id}/link", "/tasks/{id}/unlink",
                "/processes", "/processes/stats", "/processes/{id}", "/processes/{id}/kill", "/processes/{id}/output", "/doc", "/doc/sections", "/doc/history",
                "/doc/set", "/doc/append", "/doc/remove-line", "/doc/rename-section", "/doc/remove-section");
        assertThat(document.path("paths").path("/doc").propertyNames()).containsExactlyInAnyOrder("get", "post");
        assertThat(document.path("paths").path("/doc/sections").propertyNames()).containsExactlyInAnyOrder("get", "post");
        assertThat(document.path("paths").path("/locks").propertyNames()).containsExactlyInAnyOrder("get", "post");
        assertThat(document.path("paths").path("/agents").propertyNames()).containsExactlyInAnyOrder("get", "post");

        // every operation the document lists is served (none answers "no such operation")
        String agent = api.register(operator, "doc-reader");
        String writer = api.register(operator, "doc-writer"); // doc-reader leaves on the way
        String message = api.ok(api.post(writer, "/messages", "{\"to\":[\"doc-writer\"],\"type\":\"info\",\"text\":\"note to self\"}"))
                .json().path("id").asString();
        Set<String> agentOperations = Set.of("post /locks", "post /locks/renew", "post /locks/release", "post /agents/heartbeat",
                "post /agents/leave", "post /agents/activity");
        Map<String, String> bodies = Map.of("/locks", "{\"resources\":[\"x.txt\"]}", "/locks/renew", "{\"all\":true}",
                "/locks/release", "{\"all\":true}", "/locks/release-agent", "{\"agent\":\"doc-reader\"}",
                "/messages", "{\"to\":[\"doc-writer\"],\"type\":\"info\",\"text\":\"hi\"}",
                "/messages/broadcast", "{\"type\":\"info\",\"text\":\"all\",\"includeSelf\":true}", "/messages/{id}/reply", "{\"text\":\"re\"}",
                "/agents/activity", "{\"activity\":\"idle\"}");
        int served = 0;
        for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
            for (String method : path.getValue().propertyNames()) {
                if (path.getKey().equals("/events") || path.getKey().startsWith("/tasks") || path.getKey().startsWith("/processes")
                        || path.getKey().startsWith("/doc") || path.getKey().equals("/locks/write") || path.getKey().equals("/locks/fence")) {
                    continue; // a stream, which EventStreamTest reads; tasks, processes and the document, whose routes need one another's state:
                              // ResponseSchemaTest calls each; the fenced routes need a lease's token: FencedWriteTest calls them
                }
                boolean messages = path.getKey().startsWith("/messages") || path.getKey().equals("/agents/activity"); // the writer stays
                String token = messages ? writer : agentOperations.contains(method + " " + path.getKey()) ? agent : operator;
                String url = path.getKey().replace("{id}", message) + (path.getKey().endsWith("/search") ? "?q=note" : "");
                Reply answer = method.equals("get") ? api.get(token, url)
                        : api.post(token, url, bodies.getOrDefault(path.getKey(), "{}"));
                assertThat(answer.status()).as(method + " " + path.getKey() + ": " + answer.body()).isBetween(200, 299);
                served++;
            }
        }
        assertThat(served).isEqualTo(24);
    }

    // ---------------------------------------------------------------- helpers

    /** What the store holds, as seen through the API: every event id, every lease, every agent. */
    record StoreState(List<Long> events, List<String> leases, List<String> agents) {
    }

    /** An HTTP answer. */
    record Reply(int status, HttpHeaders headers, String body) {
        JsonNode json() {
            return HubApi.JSON.readTree(body);
        }
    }

    /** A small HTTP/1.1 client of the hub's API, shared with {@link EventStreamTest}. */
    static final class HubApi implements AutoCloseable {

        static final JsonMapper JSON = JsonMapper.builder().build();

        final int port;
        final String base;
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();

        HubApi(int port) {
            this.port = port;
            this.base = "http://127.0.0.1:" + port + "/api/v1";
        }

        HttpRequest.Builder request(String path, String authorization) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            return request;
        }

        Reply send(HttpRequest request) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                return new Reply(response.statusCode(), response.headers(), response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(request.method() + " " + request.uri(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        Reply get(String token, String path) {
            return send(request(path, "Bearer " + token).GET().build());
        }

        Reply post(String token, String path, String body) {
            return post(token, path, body, Map.of());
        }

        Reply post(String token, String path, String body, Map<String, String> headers) {
            return send(postRequest(token, path, body, headers));
        }

        /**
         * A POST of a large body as a client should send one: it waits for the hub's go-ahead
         * (Expect: 100-continue), so a refusal by size (413) arrives before the body is sent. Sent
         * at once, a body past the hub's limit meets a closed connection (the hub does not read
         * megabytes it refused) and the client sees a broken pipe instead of the answer.
         */
        Reply postLarge(String token, String path, String body) {
            return send(request(path, "Bearer " + token).header("Content-Type", "application/json").expectContinue(true)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        }

        CompletableFuture<Reply> getAsync(String token, String path) {
            return http.sendAsync(request(path, "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString())
                    .thenApply(response -> new Reply(response.statusCode(), response.headers(), response.body()));
        }

        CompletableFuture<Reply> postAsync(String token, String path, String body) {
            return http.sendAsync(postRequest(token, path, body, Map.of()), HttpResponse.BodyHandlers.ofString())
                    .thenApply(response -> new Reply(response.statusCode(), response.headers(), response.body()));
        }

        private HttpRequest postRequest(String token, String path, String body, Map<String, String> headers) {
            HttpRequest.Builder request = request(path, "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            headers.forEach(request::header);
            return request.build();
        }

        Reply ok(Reply reply) {
            assertThat(reply.status()).as(reply.body()).isBetween(200, 299);
            return reply;
        }

        /** Registers an agent with the operator token; returns its token. */
        String register(String operator, String id) {
            Reply registered = post(operator, "/agents", "{\"id\":\"" + id + "\"}");
            assertThat(registered.status()).as(registered.body()).isEqualTo(201);
            return registered.json().path("token").asString();
        }

        List<JsonNode> events(String token, String query) {
            Reply reply = get(token, "/log" + (query.isEmpty() ? "?limit=10000" : query + "&limit=10000"));
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            return list(reply.json().path("events"));
        }

        List<JsonNode> leases(String token, String query) {
            Reply reply = get(token, "/locks" + query);
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            return list(reply.json().path("leases"));
        }

        Map<String, JsonNode> agents(String token) {
            Reply reply = get(token, "/agents?all=true");
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            Map<String, JsonNode> agents = new LinkedHashMap<>();
            reply.json().path("agents").forEach(agent -> agents.put(agent.path("id").asString(), agent));
            return agents;
        }

        StoreState state(String operator) {
            List<Long> events = events(operator, "?after=0").stream().map(e -> e.path("id").asLong()).toList();
            List<String> leases = leases(operator, "?all=true").stream().map(l -> l.path("id").asLong() + " " + l.path("resource").asString()
                    + " " + l.path("agent").asString() + " " + l.path("token").asLong() + " " + l.path("expiresAt").asString()).toList();
            List<String> agents = agents(operator).values().stream().map(a -> a.path("id").asString() + " " + a.path("status").asString()
                    + " " + a.path("leases")).toList();
            return new StoreState(events, leases, agents);
        }

        private static List<JsonNode> list(JsonNode array) {
            List<JsonNode> items = new ArrayList<>();
            array.forEach(items::add);
            return items;
        }

        /** Sends a request as raw bytes (for headers HttpClient will not send, like Host) and reads until the server closes. */
        static Reply raw(int port, String request) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(request.getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream received = new ByteArrayOutputStream();
                in.transferTo(received);
                String text = received.toString(StandardCharsets.UTF_8);
                int status = Integer.parseInt(text.substring(9, 12));
                int bodyStart = text.indexOf("\r\n\r\n");
                Map<String, List<String>> headers = new LinkedHashMap<>();
                for (String line : text.substring(0, bodyStart).split("\r\n")) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        headers.computeIfAbsent(line.substring(0, colon).trim(), h -> new ArrayList<>()).add(line.substring(colon + 1).trim());
                    }
                }
                return new Reply(status, HttpHeaders.of(headers, (a, b) -> true), text.substring(bodyStart + 4));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            http.shutdownNow();
        }
    }
}
