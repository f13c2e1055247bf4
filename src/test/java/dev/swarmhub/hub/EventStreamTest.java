package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.hub.ApiTest.HubApi;
import dev.swarmhub.hub.ApiTest.Reply;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.store.StoreException;
import dev.swarmhub.testing.ForwardingStore;
import dev.swarmhub.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * GET /api/v1/events over real HTTP/1.1: server-sent events of the event log, each with
 * {@code id: N}, {@code event: kind} and {@code data: {json}}; live delivery, resuming with
 * Last-Event-ID without a gap or a repeat, ?after=0 replay, kind and agent filters, the end of a
 * stream with its credential (not on a check the store could not answer), and the end of every
 * open stream when the hub closes.
 */
class EventStreamTest {

    /** How long a test waits for a byte that should come: only a failing test's time (48 streams catching up at once took over 5 s at load 40). */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path project;

    private Hub hub;
    /** The hub's own services, for what no route gives (a dashboard login). */
    private Services services;
    private HubApi api;
    private String operator;
    private final List<Sse> streams = new ArrayList<>();

    @BeforeEach
    void startHub() {
        dev.swarmhub.testing.TestStores.prepare(project);
        hub = Hub.start(project, opened -> {
            services = opened;
            return (args, env, cwd, out, err) -> dev.swarmhub.cli.Swarm.run(args, env, cwd, out, err, opened);
        }, Hub.Address.LOOPBACK);
        api = new HubApi(hub.port());
        operator = OperatorToken.readOrCreate(project);
        // the hub's own first write, the plan document's, comes when its thread gets to it (on a loaded machine, amid a test's events)
        dev.swarmhub.testing.Await.until("the plan document started", () -> !api.events(operator, "?after=0&kind=doc.started").isEmpty());
    }

    @AfterEach
    void stopHub() {
        streams.forEach(Sse::close);
        if (hub != null) {
            hub.close();
        }
        if (api != null) {
            api.close();
        }
    }

    /**
     * Live delivery: each write's event reaches an open stream. The hub may log events of its own
     * meanwhile (its plan file's first write), so the stream's start is bracketed and its other
     * events are passed over. The latency is printed, not judged: it measures the machine.
     */
    @Test
    void subscriberReceivesEachNewEventLive() {
        String alice = api.register(operator, "alice");
        long before = newestId();
        Sse stream = open(operator, "", null);
        assertThat(stream.startedAfter).as("a stream without resume starts at the newest event").isBetween(before, newestId());

        double worst = 0;
        long previous = stream.startedAfter;
        for (int round = 0; round < 5; round++) {
            long writing = System.nanoTime();
            Reply acquired = api.post(alice, "/locks", "{\"resources\":[\"src/live" + round + ".py\"]}");
            long written = System.nanoTime();
            assertThat(acquired.status()).as(acquired.body()).isEqualTo(200);
            Sse.Event event = stream.next();
            while (!event.kind().equals("lease.acquired")) {
                assertThat(event.id()).isGreaterThan(previous);
                previous = event.id();
                event = stream.next();
            }
            long received = System.nanoTime();
            double latency = (received - writing) / 1e6;
            worst = Math.max(worst, latency);
            System.out.printf("EventStreamTest: event %d (%s) received %.1f ms after the write was sent, %.1f ms after it returned%n",
                    event.id(), event.kind(), latency, (received - written) / 1e6);
            assertThat(event.id()).as("in log order, after what came before").isGreaterThan(previous);
            previous = event.id();
            assertThat(event.data().path("resource").asString()).isEqualTo("src/live" + round + ".py");
            assertThat(event.data().path("agent").asString()).isEqualTo("alice");
            assertThat(event.data().path("id").asLong()).as("data carries the event id").isEqualTo(event.id());
            assertThat(event.data().path("kind").asString()).isEqualTo(event.kind());
        }
        System.out.printf("EventStreamTest: worst live latency %.1f ms%n", worst);
    }

    @Test
    void aSentMessageReachesTheStreamOfMessageEvents() {
        String alice = api.register(operator, "alice");
        api.register(operator, "bob");
        Sse stream = open(operator, "?kind=message.sent", null);
        long writing = System.nanoTime();
        Reply sent = api.post(alice, "/messages", "{\"to\":[\"bob\"],\"type\":\"question\",\"text\":\"on the stream?\"}");
        assertThat(sent.status()).as(sent.body()).isEqualTo(201);
        Sse.Event event = stream.next();
        System.out.printf("EventStreamTest: message.sent received %.1f ms after the send was sent%n", (System.nanoTime() - writing) / 1e6);
        assertThat(event.kind()).isEqualTo("message.sent");
        assertThat(event.data().path("agent").asString()).isEqualTo("alice");
        assertThat(event.data().path("details").path("id").asString()).isEqualTo(sent.json().path("id").asString());
        assertThat(event.data().path("details").path("to")).extracting(JsonNode::asString).containsExactly("bob");
    }

    @Test
    void resumingWithLastEventIdDeliversExactlyTheLaterEvents() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        Sse first = open(operator, "", null);
        long start = first.startedAfter;
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/a.py\"]}"));
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/b.py\"]}"));
        api.ok(api.post(alice, "/locks/release", "{\"resources\":[\"src/a.py\"]}"));
        List<Long> written = ids(api.events(operator, "?after=" + start));
        assertThat(written).hasSize(3);

        // read two of the three, then disconnect with the third perhaps already on its way
        List<Long> seen = List.of(first.next().id(), first.next().id());
        assertThat(seen).isEqualTo(written.subList(0, 2));
        first.close();
        long lastSeen = seen.get(1);

        api.ok(api.post(bob, "/locks/renew", "{\"resources\":[\"src/b.py\"],\"ttl\":\"10m\"}"));
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"name:db\"]}"));
        api.ok(api.post(bob, "/locks/release", "{\"all\":true}"));
        api.ok(api.post(alice, "/agents/leave", ""));
        List<Long> later = ids(api.events(operator, "?after=" + lastSeen));
        assertThat(later).as("events written after the last one seen").hasSizeGreaterThanOrEqualTo(6);

        Sse resumed = open(operator, "", Long.toString(lastSeen));
        assertThat(resumed.startedAfter).isEqualTo(lastSeen);
        List<Long> delivered = ids(resumed.next(later.size()));
        assertThat(delivered).as("none missed, none repeated, in order").isEqualTo(later);
        assertThat(resumed.poll(Duration.ofMillis(300))).as("nothing beyond the log").isNull();

        // ?after=0 replays the whole log
        List<Long> everything = ids(api.events(operator, "?after=0"));
        Sse replay = open(operator, "?after=0", null);
        assertThat(replay.startedAfter).isZero();
        assertThat(ids(replay.next(everything.size()))).isEqualTo(everything);
        assertThat(replay.poll(Duration.ofMillis(300))).isNull();

        // Last-Event-ID wins over ?after (a browser's EventSource resends the original URL)
        Sse both = open(operator, "?after=0", Long.toString(lastSeen));
        assertThat(both.startedAfter).isEqualTo(lastSeen);
        assertThat(ids(both.next(later.size()))).isEqualTo(later);
    }

    /**
     * With no stream open the hub stops following the log; a stream opened then, resuming from an
     * earlier event, gets everything after it, with writes going on while it opens, and the one
     * after it (the last closed again, the hub idle again) too: twenty times.
     */
    @Test
    void streamsOpenedAfterNoneWasOpenMissAndRepeatNothing() throws Exception {
        String alice = api.register(operator, "alice");
        Sse first = open(operator, "", null);
        long lastSeen = first.startedAfter;
        first.close();
        for (int round = 0; round < 20; round++) {
            api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/r" + round + ".py\"]}"));
            Sse resumed = open(operator, "", Long.toString(lastSeen));
            api.ok(api.post(alice, "/locks/release", "{\"all\":true}"));
            List<Long> written = ids(api.events(operator, "?after=" + lastSeen));
            assertThat(written).as("round " + round).hasSize(2);
            assertThat(ids(resumed.next(2))).as("round " + round + ": none missed, none repeated, in order").isEqualTo(written);
            resumed.close();
            lastSeen = written.getLast();
        }
    }

    @Test
    void kindAndAgentFiltersDeliverOnlyMatchingEvents() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/a.py\"]}"));
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/b.py\"]}"));
        api.ok(api.post(bob, "/locks/renew", "{\"all\":true}"));
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"name:deploy\"],\"mode\":\"shared\"}"));
        api.ok(api.post(bob, "/locks/release", "{\"resources\":[\"src/b.py\"]}"));
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"docs/**\"]}"));

        Sse byKind = open(operator, "?kind=lease.acquired&after=0", null);
        Sse byAgent = open(bob, "?agent=bob&after=0", null);
        Sse byBoth = open(operator, "?kind=lease.acquired&agent=bob&after=0", null);
        List<Long> acquired = ids(api.events(operator, "?kind=lease.acquired&after=0"));
        List<Long> ofBob = ids(api.events(operator, "?agent=bob&after=0"));
        List<Long> acquiredByBob = ids(api.events(operator, "?kind=lease.acquired&agent=bob&after=0"));
        assertThat(acquired).hasSize(4);
        assertThat(ofBob).hasSize(5); // registered, acquired, renewed, released, acquired
        assertThat(acquiredByBob).hasSize(2);

        List<Sse.Event> kindEvents = byKind.next(acquired.size());
        assertThat(ids(kindEvents)).isEqualTo(acquired);
        assertThat(kindEvents).allSatisfy(e -> {
            assertThat(e.kind()).isEqualTo("lease.acquired");
            assertThat(e.data().path("kind").asString()).isEqualTo("lease.acquired");
        });
        List<Sse.Event> agentEvents = byAgent.next(ofBob.size());
        assertThat(ids(agentEvents)).isEqualTo(ofBob);
        assertThat(agentEvents).allSatisfy(e -> assertThat(e.data().path("agent").asString()).isEqualTo("bob"));
        assertThat(ids(byBoth.next(acquiredByBob.size()))).isEqualTo(acquiredByBob);

        // live: events that do not match are skipped, the next matching one arrives
        api.ok(api.post(alice, "/locks/release", "{\"all\":true}"));          // alice, lease.released x2
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/c.py\"]}")); // alice, lease.acquired
        api.ok(api.post(bob, "/locks/renew", "{\"all\":true}"));             // bob, lease.renewed
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/d.py\"]}"));   // bob, lease.acquired
        long aliceAcquired = api.events(operator, "?kind=lease.acquired&agent=alice").getLast().path("id").asLong();
        List<JsonNode> bobLater = api.events(operator, "?agent=bob&after=" + ofBob.getLast());
        long bobAcquired = api.events(operator, "?kind=lease.acquired&agent=bob").getLast().path("id").asLong();

        assertThat(ids(byKind.next(2))).containsExactly(aliceAcquired, bobAcquired);
        assertThat(ids(byAgent.next(bobLater.size()))).isEqualTo(ids(bobLater));
        Sse.Event bothNext = byBoth.next();
        assertThat(bothNext.id()).isEqualTo(bobAcquired);
        assertThat(bothNext.data().path("resource").asString()).isEqualTo("src/d.py");
        assertThat(byKind.poll(Duration.ofMillis(300))).isNull();
        assertThat(byBoth.poll(Duration.ofMillis(50))).isNull();
        assertThat(byAgent.poll(Duration.ofMillis(50))).isNull();
    }

    @Test
    void closingTheHubEndsOpenStreams() throws Exception {
        String alice = api.register(operator, "alice");
        Sse plain = open(operator, "", null);
        Sse filtered = open(alice, "?kind=lease.acquired&after=0", null);
        api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/a.py\"]}"));
        assertThat(plain.next().kind()).isEqualTo("lease.acquired");
        assertThat(filtered.next().kind()).isEqualTo("lease.acquired");

        long closing = System.nanoTime();
        Thread closer = Thread.ofPlatform().name("hub-closer").start(hub::close);
        Sse.Event end = plain.poll(Duration.ofSeconds(10));
        double plainEnded = (System.nanoTime() - closing) / 1e6;
        Sse.Event endFiltered = filtered.poll(Duration.ofSeconds(10));
        double filteredEnded = (System.nanoTime() - closing) / 1e6;
        closer.join(TimeUnit.SECONDS.toMillis(30));
        double closed = (System.nanoTime() - closing) / 1e6;
        System.out.printf("EventStreamTest: streams ended %.1f ms and %.1f ms after close began (%s, %s); hub.close took %.1f ms%n",
                plainEnded, filteredEnded, plain.endedBy, filtered.endedBy, closed);
        assertThat(end).as("the plain stream ends").isSameAs(Sse.END);
        assertThat(endFiltered).as("the filtered stream ends").isSameAs(Sse.END);
        assertThat(plainEnded).isLessThan(5_000);
        assertThat(filteredEnded).isLessThan(5_000);
        assertThat(closer.isAlive()).as("hub.close returned").isFalse();
    }

    /**
     * A stream lives as long as its credential: an agent that leaves, and a dashboard session that
     * logs out (in another tab) or is ended by the operator, lose their streams; the others, and the
     * same agent's stream under its new token, go on.
     */
    @Test
    void aStreamEndsWithItsCredentialAndNoOtherDoes() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        Sse aliceStream = open(alice, "", null);
        Sse bobStream = open(bob, "", null);
        Sse operatorStream = open(operator, "", null);
        String session = services.logins.exchange(services.logins.newLink(dev.swarmhub.kernel.Caller.ofOperator()).value()).orElseThrow().value();
        Sse page = openWithSession(session);

        api.ok(api.post(alice, "/agents/leave", "{}"));
        awaitEnd(aliceStream, "alice left");
        api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/after-leave.py\"]}"));
        for (Sse open : List.of(bobStream, operatorStream, page)) {
            assertThat(kindsUntil(open, "lease.acquired")).contains("agent.gone");
        }

        services.logins.end(session);
        awaitEnd(page, "the session logged out");
        api.ok(api.post(bob, "/locks/release", "{\"resources\":[\"src/after-leave.py\"]}"));
        for (Sse open : List.of(bobStream, operatorStream)) {
            assertThat(kindsUntil(open, "lease.released")).contains("dashboard.logout");
        }
        Reply refused = api.send(api.request("/events", "Session " + session).GET().build());
        assertThat(refused.status()).as("the ended session opens no new stream").isEqualTo(401);

        Sse second = openWithSession(services.logins.exchange(services.logins.newLink(dev.swarmhub.kernel.Caller.ofOperator()).value())
                .orElseThrow().value());
        String bobsNewToken = services.agents.issueToken(dev.swarmhub.kernel.Caller.ofOperator(), "bob");
        awaitEnd(bobStream, "bob's token was replaced");
        Sse bobAgain = open(bobsNewToken, "", null);
        assertThat(services.logins.endAllSessions(dev.swarmhub.kernel.Caller.ofOperator(), "ended by the operator")).isEqualTo(1);
        awaitEnd(second, "every session ended");
        api.ok(api.post(bobsNewToken, "/locks", "{\"resources\":[\"src/last.py\"]}"));
        assertThat(kindsUntil(bobAgain, "lease.acquired")).contains("dashboard.logout");
        assertThat(kindsUntil(operatorStream, "lease.acquired")).contains("agent.token-issued", "dashboard.logout");

        services.logins.exchange(services.logins.newLink(dev.swarmhub.kernel.Caller.ofOperator()).value()).orElseThrow();
        hub.close(); // a page goes on sending its session to the stopped hub's port: it ends with the hub
        hub = null;
        try (dev.swarmhub.kernel.Store store = dev.swarmhub.testing.TestStores.open(project)) {
            List<Event> logouts = store.read(tx -> tx.events(0, null, "dashboard.logout", 100));
            assertThat(logouts.getLast().details()).containsEntry("reason", "the hub stopped").containsEntry("sessions", 1);
        }
    }

    /**
     * A store that cannot answer a credential check (the database briefly unavailable) closes no
     * stream, not even one whose credential ended meanwhile: each is checked again until a check
     * answers; then those whose credential ended (a logout, a replaced token) are closed and the
     * others go on.
     */
    @Test
    void aCredentialCheckTheStoreCannotAnswerClosesNoStreamAndIsMadeAgainUntilOneAnswers() {
        hub.close(); // this test's server runs over a store whose reads can be made to fail
        hub = null;
        api.close();
        DomainReadsFailing store = new DomainReadsFailing(dev.swarmhub.testing.TestStores.open(project));
        try (Services flaky = new Services(project, store); HttpServer http = new HttpServer(flaky, "127.0.0.1", 0)) {
            api = new HubApi(http.port());
            String alice = api.register(operator, "alice");
            String bob = api.register(operator, "bob");
            String session = flaky.logins.exchange(flaky.logins.newLink(Caller.ofOperator()).value()).orElseThrow().value();
            List<Sse> open = List.of(open(alice, "", null), open(bob, "", null), open(operator, "", null), openWithSession(session));

            store.failing = true;
            flaky.logins.end(session);
            flaky.agents.issueToken(Caller.ofOperator(), "alice");
            // alice's, bob's and the session's checks read the store (the operator's token is no row): 3 a pass
            Await.until("two passes of credential checks, each failed", () -> store.failed.get() >= 6);
            marker(store);
            for (Sse stream : open) {
                assertThat(kindsUntil(stream, "test.marker")).as("open while its credential could not be checked")
                        .contains("dashboard.logout", "agent.token-issued");
            }

            int answeredBefore = store.answered.get();
            store.failing = false;
            Await.until("the three credentials checked with answers", () -> store.answered.get() - answeredBefore >= 3);
            awaitEnd(open.get(0), "alice's token was replaced");
            awaitEnd(open.get(3), "the session logged out");
            marker(store);
            for (Sse stream : open.subList(1, 3)) {
                assertThat(kindsUntil(stream, "test.marker")).as("bob's and the operator's credentials hold").containsExactly("test.marker");
            }
        }
    }

    private static void marker(Store store) {
        store.write(tx -> {
            tx.appendEvent("test.marker", null, null, Map.of());
            return null;
        });
    }

    /**
     * The project's store, whose reads of domain rows (what a credential check reads: agents,
     * dashboard sessions) fail with a {@link StoreException} while {@link #failing}; the event log is
     * read as ever. Counts the domain reads that failed and that answered.
     */
    private static final class DomainReadsFailing extends ForwardingStore {
        volatile boolean failing;
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger answered = new AtomicInteger();

        DomainReadsFailing(Store store) {
            super(store);
        }

        @Override
        public <T> T read(Function<Tx, T> work) {
            AtomicBoolean domain = new AtomicBoolean();
            T result = store.read(tx -> work.apply((Tx) Proxy.newProxyInstance(Tx.class.getClassLoader(), new Class<?>[] {Tx.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("part") && domain.compareAndSet(false, true) && failing) {
                            failed.incrementAndGet();
                            throw new StoreException("the database is unavailable (in this test)", null);
                        }
                        try {
                            return method.invoke(tx, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    })));
            if (domain.get()) {
                answered.incrementAndGet();
            }
            return result;
        }
    }

    private Sse openWithSession(String session) {
        Sse stream = Sse.open(api, api.request("/events", "Session " + session));
        streams.add(stream);
        return stream;
    }

    /** The kinds of the stream's next events, up to and with the first of {@code last}. */
    private static List<String> kindsUntil(Sse stream, String last) {
        List<String> kinds = new ArrayList<>();
        do {
            kinds.add(stream.next().kind());
        } while (!kinds.getLast().equals(last));
        return kinds;
    }

    private static void awaitEnd(Sse stream, String why) {
        for (Sse.Event event = stream.poll(Duration.ofSeconds(30)); event != Sse.END; event = stream.poll(Duration.ofSeconds(30))) {
            assertThat(event).as("the stream ended: " + why).isNotNull();
        }
        assertThat(stream.endedBy).isEqualTo("end of stream");
    }

    /**
     * A client that stops reading holds up no one: the hub keeps writing every other stream, and
     * when the client reads again it gets every event after its start exactly once, in order,
     * including those that fell out of what the hub holds in memory (it reads them from the log),
     * and a filtered one gets exactly the matching ones.
     */
    @Test
    void aClientThatStopsReadingStallsNoOtherStreamAndLaterGetsEveryEventOnce() throws Exception {
        String alice = api.register(operator, "alice");
        try (RawStream stalled = RawStream.open(hub.port(), alice, ""); RawStream stalledFiltered = RawStream.open(hub.port(), alice, "?kind=test.bulk")) {
            Sse reading = open(alice, "", null);
            long start = reading.startedAfter;
            assertThat(stalled.startedAfter).isEqualTo(start);

            // ~12 MB of events in transactions of 500: more than the clients' sockets and the hub's memory hold
            List<Long> bulk = new ArrayList<>();
            String pad = "x".repeat(2_000);
            for (int round = 0; round < 12; round++) {
                hub.services().store.write(tx -> {
                    for (int i = 0; i < 500; i++) {
                        tx.appendEvent(i % 5 == 0 ? "test.other" : "test.bulk", "alice", null, Map.of("pad", pad));
                    }
                    return null;
                });
            }
            List<Long> all = new ArrayList<>();
            for (JsonNode event : api.events(operator, "?after=" + start)) {
                all.add(event.path("id").asLong());
                if (event.path("kind").asString().equals("test.bulk")) {
                    bulk.add(event.path("id").asLong());
                }
            }
            assertThat(all).hasSize(6_000);

            assertThat(ids(reading.next(all.size()))).as("the reading stream, while two others do not read").isEqualTo(all);
            assertThat(stalled.readIds(all.size())).as("the stalled stream, reading again").isEqualTo(all);
            assertThat(stalledFiltered.readIds(bulk.size())).as("the stalled filtered stream, reading again").isEqualTo(bulk);

            api.ok(api.post(alice, "/locks", "{\"resources\":[\"src/after.py\"]}"));
            long acquired = newestId();
            assertThat(stalled.readIds(1)).as("and it follows again").containsExactly(acquired);
            assertThat(reading.next().id()).isEqualTo(acquired);
        }
    }

    // ---------------------------------------------------------------- helpers

    @Test
    void oneTokenMayHoldOnlyTheSettingsNumberOfStreamsAndOneMoreIsRefusedWith429() {
        String alice = api.register(operator, "alice");
        String bob = api.register(operator, "bob");
        hub.services().settings.set(dev.swarmhub.kernel.Caller.ofOperator(), "events.streams-per-token", "2");
        Sse first = open(alice, "", null);
        open(alice, "", null);
        Reply refused = api.get(alice, "/events");
        assertThat(refused.status()).as(refused.body()).isEqualTo(429);
        assertThat(refused.json().path("error").path("message").asString()).contains("alice", "2", "events.streams-per-token");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        open(bob, "", null); // another token has its own streams

        // a closed stream frees its place once the hub notices (its next write fails): events make it write
        first.close();
        Await.until("alice's closed stream to free its place", () -> {
            api.ok(api.post(bob, "/locks", "{\"resources\":[\"src/tick.py\"]}"));
            return streamOpens(alice);
        });
    }

    /** True when a stream for the token opens now (it is closed again at once). */
    private boolean streamOpens(String token) {
        HttpRequest request = api.request("/events", "Bearer " + token).GET().build();
        try {
            HttpResponse<InputStream> response = api.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            response.body().close();
            return response.statusCode() == 200;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Sse open(String token, String query, String lastEventId) {
        Sse stream = Sse.open(api, token, query, lastEventId);
        streams.add(stream);
        return stream;
    }

    private long newestId() {
        return api.events(operator, "").getLast().path("id").asLong();
    }

    private static List<Long> ids(List<?> events) {
        return events.stream().map(e -> e instanceof Sse.Event sse ? sse.id() : ((JsonNode) e).path("id").asLong()).toList();
    }

    /**
     * An event stream read only when the test asks, over a socket with a small receive buffer (HTTP/1.0:
     * the body is the events as sent): until then the hub's writes to it fill its sockets.
     */
    static final class RawStream implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader lines;
        final long startedAfter;

        private RawStream(Socket socket, BufferedReader lines, long startedAfter) {
            this.socket = socket;
            this.lines = lines;
            this.startedAfter = startedAfter;
        }

        static RawStream open(int port, String token, String query) throws IOException {
            Socket socket = new Socket();
            socket.setReceiveBufferSize(4_096); // before connecting: it bounds the window the hub may fill
            socket.connect(new InetSocketAddress("127.0.0.1", port));
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            socket.getOutputStream().write(("GET /api/v1/events" + query + " HTTP/1.0\r\nHost: 127.0.0.1:" + port
                    + "\r\nAuthorization: Bearer " + token + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            BufferedReader lines = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertThat(lines.readLine()).contains(" 200 ");
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith(": swarm events after ")) {
                    return new RawStream(socket, lines, Long.parseLong(line.substring(": swarm events after ".length())));
                }
            }
            throw new AssertionError("the stream ended before its opening comment");
        }

        /** The ids of the next {@code count} events. */
        List<Long> readIds(int count) throws IOException {
            List<Long> ids = new ArrayList<>();
            while (ids.size() < count) {
                String line = lines.readLine();
                assertThat(line).as("stream ended after %d of %d events", ids.size(), count).isNotNull();
                if (line.startsWith("id: ")) {
                    ids.add(Long.parseLong(line.substring(4)));
                }
            }
            return ids;
        }

        /** The data (one JSON document each) of the next {@code count} events. */
        List<String> readData(int count) throws IOException {
            List<String> data = new ArrayList<>();
            while (data.size() < count) {
                String line = lines.readLine();
                assertThat(line).as("stream ended after %d of %d events", data.size(), count).isNotNull();
                if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                }
            }
            return data;
        }

        /** Reads events up to and including {@code id}; fails on a gap, a repeat or the end. */
        void readUntil(long id) throws IOException {
            long last = startedAfter;
            while (last < id) {
                String line = lines.readLine();
                assertThat(line).as("stream ended at %d before %d", last, id).isNotNull();
                if (line.startsWith("id: ")) {
                    long next = Long.parseLong(line.substring(4));
                    assertThat(next).as("the event after %d", last).isEqualTo(last + 1);
                    last = next;
                }
            }
        }

        /** Reads until the stream ends (EOF or reset): true; false when it stays open without a byte for {@code quiet}. */
        boolean drainToEnd(Duration quiet) throws IOException {
            socket.setSoTimeout((int) quiet.toMillis());
            char[] buffer = new char[65_536];
            try {
                while (lines.read(buffer) >= 0) {
                    // what was sent before the end
                }
                return true;
            } catch (SocketTimeoutException stillOpen) {
                return false;
            } catch (IOException reset) {
                return true;
            }
        }

        void reset() throws IOException {
            socket.setSoLinger(true, 0);
            socket.close();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One open event stream, parsed on its own thread into a queue; {@link #END} marks its end. */
    static final class Sse implements AutoCloseable {

        record Event(long id, String kind, JsonNode data) {
        }

        static final Event END = new Event(-1, "end of stream", null);

        private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private final InputStream body;
        /** The id the server says it starts after (its opening comment). */
        volatile Long startedAfter;
        volatile String endedBy = "still open";
        private volatile boolean closing;

        private Sse(InputStream body) {
            this.body = body;
        }

        static Sse open(HubApi api, String token, String query, String lastEventId) {
            HttpRequest.Builder request = api.request("/events" + query, "Bearer " + token);
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            return open(api, request);
        }

        static Sse open(HubApi api, HttpRequest.Builder request) {
            request.header("Accept", "text/event-stream");
            HttpResponse<InputStream> response;
            try {
                response = api.http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            Sse stream = new Sse(response.body());
            Thread.ofPlatform().daemon().name("sse-reader").start(stream::read);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            synchronized (stream) {
                while (stream.startedAfter == null && System.nanoTime() < deadline) {
                    try {
                        stream.wait(100); // woken by the reader when the opening comment arrives
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }
            assertThat(stream.startedAfter).as("the stream's opening comment").isNotNull();
            return stream;
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                Long id = null;
                String kind = null;
                StringBuilder data = null;
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.isEmpty()) {
                        if (id != null || kind != null || data != null) {
                            assertThat(id).as("every event has an id").isNotNull();
                            assertThat(kind).as("every event has a kind").isNotNull();
                            assertThat(data).as("every event has data").isNotNull();
                            events.add(new Event(id, kind, HubApi.JSON.readTree(data.toString())));
                        }
                        id = null;
                        kind = null;
                        data = null;
                    } else if (line.startsWith(":")) {
                        String comment = line.substring(1).strip();
                        if (comment.startsWith("swarm events after ")) {
                            synchronized (this) {
                                startedAfter = Long.parseLong(comment.substring("swarm events after ".length()));
                                notifyAll();
                            }
                        }
                    } else if (line.startsWith("id:")) {
                        id = Long.parseLong(line.substring(3).strip());
                    } else if (line.startsWith("event:")) {
                        kind = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        data = (data == null ? new StringBuilder() : data.append('\n')).append(line.substring(5).strip());
                    } else {
                        throw new AssertionError("unexpected line in the event stream: " + line);
                    }
                }
                endedBy = "end of stream";
            } catch (IOException e) {
                endedBy = closing ? "closed by the test" : "connection failed: " + e;
            } catch (RuntimeException | AssertionError e) {
                endedBy = "bad stream: " + e;
            } finally {
                events.add(END);
            }
        }

        Event poll(Duration timeout) {
            try {
                return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        Event next() {
            Event event = poll(READ_TIMEOUT);
            if (event == null) {
                fail("no event within " + READ_TIMEOUT.toMillis() + " ms");
            }
            if (event == END) {
                fail("the stream ended (" + endedBy + ") while an event was expected");
            }
            return event;
        }

        List<Event> next(int count) {
            List<Event> read = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                read.add(next());
            }
            return read;
        }

        @Override
        public void close() {
            closing = true;
            try {
                body.close();
            } catch (IOException ignored) {
                // the connection is going away either way
            }
        }
    }
}
