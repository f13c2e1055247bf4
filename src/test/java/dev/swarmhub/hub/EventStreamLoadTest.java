package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thousand open event streams and ordinary traffic against a hub process: no request starves
 * (each is answered within a generous failure timeout), every stream receives the traffic's
 * events, and the p99 latency of the ordinary requests beside the streams is at most
 * max(50 ms, {@link #SLOWDOWN_ALLOWED} x the p99 of the same traffic without streams, measured
 * in the same run against the same hub). Relative to that baseline, the verdict does not depend on
 * the machine's speed; 50 ms is the figure, the floor for a fast machine.
 */
class EventStreamLoadTest {

    /**
     * Streams are not free: each acquire and release appends an event that the hub writes to 1,000
     * sockets and this JVM reads 1,000 times, on the same cores as the requests (about 10 ms of
     * CPU per event against 1-2 ms per request), so on a machine whose cores are all busy the
     * requests beside the streams do several times the work of the baseline and wait accordingly.
     * 10 x leaves room for that honest cost, and still catches starvation: the stall the issue
     * reported held requests 30 s, hundreds of times any baseline.
     */
    private static final int SLOWDOWN_ALLOWED = 10;
    private static final int STREAMING_AGENTS = 20;
    private static final int STREAMS_PER_AGENT = 50; // 1,000 streams, within the default cap of 64 per token
    private static final int WORKERS = 4;
    private static final int CYCLES = 100;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30); // a failure timeout only

    @TempDir
    Path project;

    @Test
    void aThousandStreamsStarveNoRequestAndEachGetsTheEvents() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try (HubProcess hub = HubProcess.start(project); ExecutorService workers = Executors.newFixedThreadPool(WORKERS)) {
            int port = ((Number) Hub.readInfo(project).get("port")).intValue();
            String base = "http://127.0.0.1:" + port + "/api/v1";
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String operator = OperatorToken.readOrCreate(project);
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < STREAMING_AGENTS; i++) {
                String registered = send(http, base, operator, "POST", "/agents", "{\"id\":\"agent-s" + i + "\"}");
                tokens.add(JsonViews.JSON.readTree(registered).path("token").asString());
            }

            trafficLatencies(workers, http, base, tokens); // warms the hub up (JIT, caches): not measured
            long[] baseline = trafficLatencies(workers, http, base, tokens);

            int streams = STREAMING_AGENTS * STREAMS_PER_AGENT;
            AtomicLongArray lastSeen = new AtomicLongArray(streams);
            CountDownLatch opened = new CountDownLatch(streams);
            for (int s = 0; s < streams; s++) {
                Socket socket = new Socket("127.0.0.1", port);
                sockets.add(socket);
                socket.getOutputStream().write(("GET /api/v1/events HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer "
                        + tokens.get(s % STREAMING_AGENTS) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                int stream = s;
                Thread.ofVirtual().start(() -> follow(socket, stream, lastSeen, opened));
            }
            assertThat(opened.await(120, TimeUnit.SECONDS)).as("all %d streams open", streams).isTrue();

            long[] withStreams = trafficLatencies(workers, http, base, tokens);
            double baselineP99 = percentile(baseline, 99);
            double withStreamsP99 = percentile(withStreams, 99);
            System.out.printf("EventStreamLoadTest: %d requests without streams: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    baseline.length, percentile(baseline, 50), baselineP99, baseline[baseline.length - 1] / 1e6);
            System.out.printf("EventStreamLoadTest: %d requests beside %d streams: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    withStreams.length, streams, percentile(withStreams, 50), withStreamsP99, withStreams[withStreams.length - 1] / 1e6);
            assertThat(withStreamsP99).as("p99 beside %d streams (ms), against max(50 ms, %d x p99 without streams = %.1f ms)",
                    streams, SLOWDOWN_ALLOWED, baselineP99).isLessThanOrEqualTo(Math.max(50.0, SLOWDOWN_ALLOWED * baselineP99));

            long newest = JsonViews.JSON.readTree(send(http, base, operator, "GET", "/log?limit=1", null)).path("events").get(0).path("id").asLong();
            Await.until("every stream to receive event " + newest, () -> {
                for (int s = 0; s < streams; s++) {
                    if (lastSeen.get(s) < newest) {
                        return false;
                    }
                }
                return true;
            });
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /**
     * Runs the request mix (acquire, list, release a file of each worker's own, {@link #CYCLES}
     * times per worker) and returns each request's latency in nanoseconds, sorted; every
     * request is answered within the failure timeout.
     */
    private static long[] trafficLatencies(ExecutorService workers, HttpClient http, String base, List<String> tokens) throws Exception {
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        List<Future<?>> traffic = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            String token = tokens.get(w);
            String file = "{\"resources\":[\"src/w" + w + ".py\"]}";
            traffic.add(workers.submit(() -> {
                for (int cycle = 0; cycle < CYCLES; cycle++) {
                    latencies.add(timed(() -> send(http, base, token, "POST", "/locks", file)));
                    latencies.add(timed(() -> send(http, base, token, "GET", "/locks", null)));
                    latencies.add(timed(() -> send(http, base, token, "POST", "/locks/release", file)));
                }
                return null;
            }));
        }
        for (Future<?> worker : traffic) {
            worker.get(ANSWER_TIMEOUT.toSeconds() * CYCLES * 3, TimeUnit.SECONDS);
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        assertThat(sorted).as("every request answered").hasSize(WORKERS * CYCLES * 3);
        return sorted;
    }

    /** Reads one stream (HTTP/1.0: the body is the events as sent, not chunked): its start, then the id of each event. */
    private static void follow(Socket socket, int stream, AtomicLongArray lastSeen, CountDownLatch opened) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            String status = in.readLine();
            if (status == null || !status.contains(" 200 ")) {
                System.out.println("EventStreamLoadTest: stream " + stream + " refused: " + status);
                return;
            }
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith(": swarm events")) {
                    opened.countDown();
                } else if (line.startsWith("id: ")) {
                    lastSeen.set(stream, Long.parseLong(line.substring(4).strip()));
                }
            }
        } catch (IOException closed) {
            // the test closed the socket
        }
    }

    @FunctionalInterface
    private interface Call {
        String run() throws Exception;
    }

    private static long timed(Call call) throws Exception {
        long start = System.nanoTime();
        call.run();
        return System.nanoTime() - start;
    }

    private static double percentile(long[] sorted, int percent) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * percent / 100.0) - 1)] / 1e6;
    }

    private static String send(HttpClient http, String base, String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(ANSWER_TIMEOUT)
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isBetween(200, 299);
        return response.body();
    }
}
