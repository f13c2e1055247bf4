package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * the machine's speed; 50 ms is the figure, the floor for a fast machine. Other work on a
 * shared machine can still slow one measurement: the traffic beside the streams is measured up to
 * {@link #ROUNDS} times and the best round counts (a slow fan-out or starvation is slow every time).
 */
class EventStreamLoadTest {

    /**
     * Streams are not free: each acquire and release appends an event that the hub writes to 1,000
     * sockets and this JVM reads from 1,000, on the same cores as the requests, so on a machine
     * whose cores are all busy the requests beside the streams wait somewhat longer than the
     * baseline (measured: 1.1-1.9 x). 4 x leaves room for that honest cost and still catches both
     * starvation (the stall the issue reported held requests 30 s) and a fan-out that queues each
     * event's thousand writes ahead of the requests (a thread per stream measured 6.6-7 x).
     */
    private static final int SLOWDOWN_ALLOWED = 4;
    private static final int ROUNDS = 3;
    private static final int STREAMING_AGENTS = 20;
    private static final int STREAMS_PER_AGENT = 50; // 1,000 streams, within the default cap of 64 per token
    private static final int WORKERS = 4;
    private static final int CYCLES = 100;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30); // a failure timeout only

    @TempDir
    Path project;

    @Test
    void aThousandStreamsStarveNoRequestAndEachGetsTheEvents() throws Exception {
        List<AutoCloseable> closing = new ArrayList<>();
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
            List<String> streamTokens = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                streamTokens.add(tokens.get(s % STREAMING_AGENTS));
            }
            StreamReaders readers = new StreamReaders(port, streamTokens);
            closing.add(readers);
            assertThat(readers.opened.await(120, TimeUnit.SECONDS)).as("all %d streams answered", streams).isTrue();
            assertThat(readers.refused()).as("streams refused").isEmpty();

            double baselineP99 = percentile(baseline, 99);
            double allowed = Math.max(50.0, SLOWDOWN_ALLOWED * baselineP99);
            long[] withStreams = trafficLatencies(workers, http, base, tokens);
            for (int round = 1; round < ROUNDS && percentile(withStreams, 99) > allowed; round++) {
                System.out.printf("EventStreamLoadTest: round %d beside the streams: p99 %.1f ms; measuring again%n", round,
                        percentile(withStreams, 99));
                withStreams = trafficLatencies(workers, http, base, tokens);
            }
            double withStreamsP99 = percentile(withStreams, 99);
            System.out.printf("EventStreamLoadTest: %d requests without streams: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    baseline.length, percentile(baseline, 50), baselineP99, baseline[baseline.length - 1] / 1e6);
            System.out.printf("EventStreamLoadTest: %d requests beside %d streams: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    withStreams.length, streams, percentile(withStreams, 50), withStreamsP99, withStreams[withStreams.length - 1] / 1e6);
            assertThat(withStreamsP99).as("p99 beside %d streams (ms), against max(50 ms, %d x p99 without streams = %.1f ms)",
                    streams, SLOWDOWN_ALLOWED, baselineP99).isLessThanOrEqualTo(allowed);

            long newest = JsonViews.JSON.readTree(send(http, base, operator, "GET", "/log?limit=1", null)).path("events").get(0).path("id").asLong();
            Await.until("every stream to receive event " + newest, () -> readers.oldestLastSeen() >= newest);
        } finally {
            for (AutoCloseable resource : closing) {
                resource.close();
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

    /**
     * The thousand stream clients, read by one thread with a selector (HTTP/1.0: each body is the
     * events as sent, not chunked): the clients of a real hub run elsewhere, so here they should
     * take as little of the shared cores as they can. Per stream: its start, then the id of each event.
     */
    private static final class StreamReaders implements AutoCloseable {
        final CountDownLatch opened;
        private final Selector selector;
        private final AtomicLongArray lastSeen;
        private final Set<String> refused = ConcurrentHashMap.newKeySet();
        private final Thread reader;

        StreamReaders(int port, List<String> tokens) throws IOException {
            opened = new CountDownLatch(tokens.size());
            lastSeen = new AtomicLongArray(tokens.size());
            selector = Selector.open();
            for (int s = 0; s < tokens.size(); s++) {
                SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                channel.write(ByteBuffer.wrap(("GET /api/v1/events HTTP/1.0\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer "
                        + tokens.get(s) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8)));
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ, new Lines(s));
            }
            reader = Thread.ofPlatform().name("stream readers").start(this::readAll);
        }

        long oldestLastSeen() {
            long oldest = Long.MAX_VALUE;
            for (int s = 0; s < lastSeen.length(); s++) {
                oldest = Math.min(oldest, lastSeen.get(s));
            }
            return oldest;
        }

        Set<String> refused() {
            return refused;
        }

        private void readAll() {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try {
                while (selector.isOpen()) {
                    selector.select();
                    for (SelectionKey key : selector.selectedKeys()) {
                        Lines lines = (Lines) key.attachment();
                        buffer.clear();
                        int read = ((SocketChannel) key.channel()).read(buffer);
                        if (read < 0) {
                            key.cancel();
                            continue;
                        }
                        for (int i = 0; i < read; i++) {
                            lines.take(buffer.get(i));
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException | ClosedSelectorException closed) {
                // the test closed the streams
            }
        }

        /** One stream's bytes, cut into lines. */
        private final class Lines {
            private final int stream;
            private final StringBuilder line = new StringBuilder();
            private boolean first = true;

            Lines(int stream) {
                this.stream = stream;
            }

            void take(byte b) {
                if (b != '\n') {
                    line.append((char) b); // the lines read here are ASCII
                    return;
                }
                String text = line.toString();
                line.setLength(0);
                if (first && !text.contains(" 200 ")) {
                    refused.add("stream " + stream + ": " + text);
                    opened.countDown(); // answered: the test fails on it rather than waiting
                } else if (text.startsWith(": swarm events")) {
                    opened.countDown();
                } else if (text.startsWith("id: ")) {
                    lastSeen.set(stream, Long.parseLong(text.substring(4).strip()));
                }
                first = false;
            }
        }

        @Override
        public void close() throws Exception {
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
            reader.join();
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
