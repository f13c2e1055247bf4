package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.ApiTest.HubApi;
import dev.swarmhub.hub.EventStreamTest.Sse;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /api/v1/events under hostile use, against a real hub over real sockets: concurrent writers
 * with resuming filtered readers, closing the hub under stalled streams, clients that reset or
 * leave early, and the memory slow streams hold.
 */
class EventStreamAttackTest {

    @TempDir
    Path project;

    private Hub hub;
    private HubApi api;
    private String operator;
    private final List<AutoCloseable> toClose = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void startHub() {
        hub = ApiTest.startHub(project);
        api = new HubApi(hub.port());
        operator = OperatorToken.readOrCreate(project);
    }

    @AfterEach
    void stopHub() {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // going away
            }
        }
        if (hub != null) {
            hub.close();
        }
        if (api != null) {
            api.close();
        }
    }

    /** Every event of the log after {@code after} matching the filters, oldest first. */
    private List<Long> logged(long after, String agent, String kind) {
        List<Long> ids = new ArrayList<>();
        for (;;) {
            List<Event> page = hub.services().log.after(after, agent, kind, 10_000);
            page.forEach(e -> ids.add(e.id()));
            if (page.size() < 10_000) {
                return ids;
            }
            after = page.getLast().id();
        }
    }

    private long newest() {
        List<Event> newest = hub.services().log.latest(null, null, 1);
        return newest.isEmpty() ? 0 : newest.getFirst().id();
    }

    /**
     * Many writers append (in transactions of 1 to 700 events, ~15 MB in all, so the 4 MB the hub
     * holds is overrun many times) while readers with and without filters read a while,
     * disconnect, and resume with Last-Event-ID: each reader gets every matching event exactly
     * once, in order.
     */
    @Test
    void resumingReadersUnderConcurrentWritersGetEveryMatchingEventOnceInOrder() throws Exception {
        api.register(operator, "alice");
        api.register(operator, "bob");
        hub.services().settings.set(dev.swarmhub.kernel.Caller.ofOperator(), "events.streams-per-token", "1000");
        long start = newest();
        String[] kinds = {"t.a", "t.b", "t.c"};
        String[] agents = {"alice", "bob"};
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newCachedThreadPool();
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            int seed = w;
            writers.add(pool.submit(() -> {
                Random random = new Random(seed);
                for (int round = 0; round < 60; round++) {
                    int count = round % 10 == 9 ? 700 : 1 + random.nextInt(60);
                    String pad = "p".repeat(random.nextInt(1_200));
                    hub.services().store.write(tx -> {
                        for (int i = 0; i < count; i++) {
                            tx.appendEvent(kinds[random.nextInt(3)], agents[random.nextInt(2)], null, Map.of("pad", pad));
                        }
                        return null;
                    });
                }
                return null;
            }));
        }
        record Filter(String query, String agent, String kind) {
        }
        List<Filter> filters = List.of(new Filter("", null, null), new Filter("?kind=t.a", null, "t.a"),
                new Filter("?agent=bob", "bob", null), new Filter("?kind=t.c&agent=alice", "alice", "t.c"),
                new Filter("", null, null), new Filter("?kind=t.b", null, "t.b"));
        Map<Integer, List<Long>> received = new ConcurrentHashMap<>();
        List<Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < filters.size(); r++) {
            int reader = r;
            Filter filter = filters.get(r);
            readers.add(pool.submit(() -> {
                Random random = new Random(100 + reader);
                List<Long> got = new ArrayList<>();
                received.put(reader, got);
                long last = start;
                for (;;) {
                    boolean lastRound = !writing.get();
                    List<Long> expectedNow = lastRound ? logged(last, filter.agent(), filter.kind()) : null;
                    Sse stream = Sse.open(api, operator, filter.query(), Long.toString(last));
                    try {
                        int want = lastRound ? expectedNow.size() : 1 + random.nextInt(1_500);
                        for (int i = 0; i < want; i++) {
                            Sse.Event event = stream.poll(Duration.ofSeconds(lastRound ? 20 : 2));
                            if (event == null || event == Sse.END) {
                                break;
                            }
                            got.add(event.id());
                            last = event.id();
                        }
                    } finally {
                        stream.close();
                    }
                    if (lastRound) {
                        return null;
                    }
                }
            }));
        }
        for (Future<?> writer : writers) {
            writer.get(120, TimeUnit.SECONDS);
        }
        writing.set(false);
        for (Future<?> reader : readers) {
            reader.get(180, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        for (int r = 0; r < filters.size(); r++) {
            Filter filter = filters.get(r);
            List<Long> expected = logged(start, filter.agent(), filter.kind());
            List<Long> got = received.get(r);
            System.out.printf("EventStreamAttackTest: reader %d (%s) got %d of %d%n", r, filter.query(), got.size(), expected.size());
            assertThat(got).as("reader %d (%s): every matching event once, in order", r, filter.query()).isEqualTo(expected);
        }
    }

    /**
     * Hub.close with streams that do not read (their sockets full, the hub's writes pending) and
     * streams that do: close returns promptly and every stream ends.
     */
    @Test
    void closingTheHubWithStalledStreamsEndsEveryStreamPromptly() throws Exception {
        String alice = api.register(operator, "alice");
        List<EventStreamTest.RawStream> stalled = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            EventStreamTest.RawStream s = EventStreamTest.RawStream.open(hub.port(), alice, i % 2 == 0 ? "" : "?kind=test.bulk");
            stalled.add(s);
            toClose.add(s);
        }
        Sse reading = Sse.open(api, operator, "", null);
        toClose.add(reading);
        long start = reading.startedAfter;
        String pad = "x".repeat(2_000);
        for (int round = 0; round < 6; round++) {
            hub.services().store.write(tx -> {
                for (int i = 0; i < 500; i++) {
                    tx.appendEvent("test.bulk", "alice", null, Map.of("pad", pad));
                }
                return null;
            });
        }
        List<Long> all = logged(start, null, null);
        for (int i = 0; i < all.size(); i++) {
            assertThat(reading.poll(Duration.ofSeconds(10)).id()).isEqualTo(all.get(i));
        }
        long closing = System.nanoTime();
        Thread closer = Thread.ofPlatform().name("hub-closer").start(hub::close);
        Sse.Event end = reading.poll(Duration.ofSeconds(10));
        double readingEnded = (System.nanoTime() - closing) / 1e6;
        closer.join(TimeUnit.SECONDS.toMillis(30));
        double closed = (System.nanoTime() - closing) / 1e6;
        System.out.printf("EventStreamAttackTest: reading stream ended %.1f ms after close began; hub.close took %.1f ms%n", readingEnded, closed);
        assertThat(end).isSameAs(Sse.END);
        assertThat(closer.isAlive()).as("hub.close returned").isFalse();
        // the stalled ones: what was sent, then the end (EOF or reset), not a socket that stays open
        for (EventStreamTest.RawStream s : stalled) {
            assertThat(s.drainToEnd(Duration.ofSeconds(10))).as("a stalled stream ends after hub.close").isTrue();
        }
        // a stalled stream left to the server's stop would hold it for its whole graceful wait
        assertThat(closed).as("ms for hub.close with stalled streams: the streams were ended, not waited for").isLessThan(HttpServer.GRACEFUL_STOP_MS);
    }

    /** A client that resets its connection frees its place at the next event. */
    @Test
    void aResetConnectionFreesItsPlaceAtTheNextEvent() throws Exception {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        hub.services().settings.set(dev.swarmhub.kernel.Caller.ofOperator(), "events.streams-per-token", "1");
        EventStreamTest.RawStream first = EventStreamTest.RawStream.open(hub.port(), alice, "");
        first.reset();
        assertThat(api.get(alice, "/events").status()).isEqualTo(429);
        Await.until("the reset stream's place to be freed", () -> {
            api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/tick.py\"]}"));
            RawStreamProbe probe = RawStreamProbe.open(hub.port(), alice);
            return probe.status == 200;
        });
    }

    /** A client that sends its request and closes at once (before any byte is written): its place is freed. */
    @Test
    void aClientThatLeavesBeforeTheFirstWriteFreesItsPlace() throws Exception {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        hub.services().settings.set(dev.swarmhub.kernel.Caller.ofOperator(), "events.streams-per-token", "3");
        for (int i = 0; i < 3; i++) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", hub.port()));
                socket.setSoLinger(true, 0);
                socket.getOutputStream().write(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:" + hub.port()
                        + "\r\nAuthorization: Bearer " + alice + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        Await.until("the places of clients that left at once to be freed", () -> {
            api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/tick.py\"]}"));
            List<RawStreamProbe> probes = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    RawStreamProbe probe = RawStreamProbe.open(hub.port(), alice);
                    if (probe.status != 200) {
                        return false;
                    }
                    probes.add(probe);
                }
                return true;
            } finally {
                probes.forEach(RawStreamProbe::close);
            }
        });
    }

    private static long heapAfterGc() {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /**
     * What the hub holds for streams is shared and bounded ({@code RecentEvents}: 4 MB): streams
     * that read slowly must not each hold a copy of it. 48 slow clients (within one token's 64)
     * fall behind 16 batches of ~0.57 MB, then each reads until the first event of the 10th batch
     * (which the hub can only have sent from what it holds, after the stall) and stops; the hub's
     * heap must not grow by a copy of what it holds per stream.
     */
    @Test
    void slowStreamsDoNotEachHoldACopyOfWhatTheHubHolds() throws Exception {
        String alice = api.register(operator, "alice");
        int streams = 48;
        List<EventStreamTest.RawStream> slow = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            EventStreamTest.RawStream s = EventStreamTest.RawStream.open(hub.port(), alice, "");
            slow.add(s);
            toClose.add(s);
        }
        long start = slow.getFirst().startedAfter;
        long before = heapAfterGc();
        String pad = "x".repeat(1_000);
        for (int round = 0; round < 16; round++) { // ~9 MB: more than a socket takes, and than the hub holds
            hub.services().store.write(tx -> {
                for (int i = 0; i < 500; i++) {
                    tx.appendEvent("test.bulk", "alice", null, Map.of("pad", pad));
                }
                return null;
            });
        }
        long firstOfTenth = logged(start, null, null).get(9 * 500);
        // all at once: a stream left unread while others are read may pass the hub's idle limit on a loaded machine
        try (java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<Object>> read = new ArrayList<>();
            for (EventStreamTest.RawStream s : slow) {
                read.add(readers.submit(() -> {
                    s.readUntil(firstOfTenth);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<Object> each : read) {
                each.get();
            }
        }
        long after = heapAfterGc();
        double grownMb = (after - before) / 1e6;
        System.out.printf("EventStreamAttackTest: heap grew %.1f MB with %d slow streams (%.1f MB each)%n", grownMb, streams, grownMb / streams);
        assertThat(grownMb).as("MB the hub holds for %d slow streams beyond what it held before (RecentEvents: 4 MB of frames)", streams)
                .isLessThan(64);
    }

    /** Opens a stream, reads its status line, keeps the socket until closed. */
    static final class RawStreamProbe {
        final Socket socket;
        final int status;

        private RawStreamProbe(Socket socket, int status) {
            this.socket = socket;
            this.status = status;
        }

        static RawStreamProbe open(int port, String token) {
            try {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", port));
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:" + port
                        + "\r\nAuthorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                BufferedReader lines = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                String status = lines.readLine();
                int code = Integer.parseInt(status.split(" ")[1]);
                if (code != 200) {
                    socket.close();
                } else {
                    socket.setSoLinger(true, 0);
                    socket.close(); // reset: the hub frees it at its next write
                }
                return new RawStreamProbe(socket, code);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // gone
            }
        }
    }
}
