package dev.swarmhub.hub;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Settings;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.logins.Logins;
import dev.swarmhub.store.StoreException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * GET /api/v1/events: the event log as server-sent events, each with its log id as the event
 * id. A client resumes with Last-Event-ID (or ?after=ID) and gets every later event exactly once;
 * without either it gets only new events. Filters: ?kind=, ?agent=.
 *
 * <p>An open stream holds no thread. One follower thread reads the log (as soon as a write in the
 * hub appends to it, but at most one batch every 20 ms, and at least every 50 ms for writes by
 * processes that bypass the hub), adds
 * the batch, rendered once, to the {@link RecentEvents} all streams share, and writes it to every
 * stream with non-blocking servlet output: a stream whose socket takes it gets it at once, in one
 * write; one whose socket is full is written by the container when it drains, from what is held or,
 * once it fell further behind than that, from the log. So a thousand streams cost one log read and
 * a thousand non-blocking writes per batch on one thread, which the operating system schedules
 * beside the request threads, instead of a thousand wake-ups queued on the carrier threads the
 * requests run on (p99 of requests beside 1,000 streams: 149 ms that way, 25-37 ms this way). A
 * new stream first catches up from its starting point by reading the log. Each token (an agent's,
 * or the operator's) may hold at most {@link #STREAMS_PER_TOKEN} streams open at once; one
 * more is refused with 429. A stream lives as long as its credential: after an event that may
 * end one (a dashboard logout or expiry, an agent gone or given a new token) every stream's
 * credential is checked again, off the follower, and a stream whose credential ended is closed.
 * A check the store could not answer (the database briefly unavailable) closes nothing: that
 * stream's credential is checked again every {@value #RECHECK_MS} ms until a check answers.
 */
final class EventStream {

    /** How many streams one token may hold open at once. */
    static final Setting<Integer> STREAMS_PER_TOKEN = Setting.count("events.streams-per-token", 64, 10_000, "streams");
    private static final long POLL_MS = 50;
    /**
     * The least time between two batches written to the streams: events that come faster wait
     * for the next batch, one write per stream for several of them. Writing each commit's events
     * to 50 streams as they came took a fifth of a 1,000-agent hub's CPU. An event is held back
     * only when the batch before it went out less than this ago.
     */
    private static final long GATHER_NANOS = 20_000_000;
    /** How often the credentials that could not be checked are checked again. */
    private static final long RECHECK_MS = 1_000;
    private static final long KEEPALIVE_MS = 15_000;
    private static final int BATCH = 500;
    /** Rendered events held for the streams to read (shared by all): beyond it, a stream that fell behind reads the log. */
    private static final long RECENT_BYTES = 4 * 1024 * 1024;
    /** What a stream takes from what is held at a time (at least one batch): its writes are of shared batches, or of its own filtered ones, this big. */
    private static final long TAKE_BYTES = 256 * 1024;
    private static final byte[] KEEPALIVE = ": keepalive\n\n".getBytes(StandardCharsets.UTF_8);

    /** The events after which a stream's credential may have ended. */
    private static final Set<String> CREDENTIAL_ENDING_EVENTS = Stream.concat(Stream.of(Logins.LOGOUT), Agents.TOKEN_ENDING_EVENTS.stream())
            .collect(Collectors.toUnmodifiableSet());

    private final EventLog log;
    private final Store store;
    private final Settings settings;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    /** The open streams whose last credential check failed (the store did not answer): checked again. */
    private final Set<Subscriber> unchecked = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> openByCaller = new ConcurrentHashMap<>();
    /** Replaced when streams open after none was open: it held nothing the new ones need that the log has not. */
    private volatile RecentEvents recent;
    private final Thread follower;
    /** The newest event read by the follower; only the follower thread touches it. */
    private long followed;
    /** Whether the follower found no stream open, and so stopped reading the log; only the follower thread touches it. */
    private boolean idle;
    /** When the follower last wrote a batch to the streams ({@link System#nanoTime()}); only the follower thread touches it. */
    private long batchWrittenAt = System.nanoTime() - GATHER_NANOS;
    /** When the follower last looked for quiet streams ({@link System#nanoTime()}); only the follower thread touches it. */
    private long keepalivesCheckedAt = System.nanoTime();
    /** When the follower last had the unchecked credentials checked again ({@link System#nanoTime()}); only the follower thread touches it. */
    private long recheckedAt = System.nanoTime();
    private volatile boolean stopping;

    EventStream(EventLog log, Store store, Settings settings) {
        this.log = log;
        this.store = store;
        this.settings = settings;
        this.followed = newestId();
        this.recent = new RecentEvents(followed, RECENT_BYTES);
        this.follower = BackgroundLoop.start("event stream follower", this::follow);
    }

    void stop() {
        stopping = true;
        follower.interrupt();
        subscribers.forEach(Subscriber::close);
    }

    private void follow() throws InterruptedException {
        long logged = store.signalCount(Store.Signal.LOGGED);
        if (subscribers.isEmpty()) {
            idle = true; // nobody to write to: no log reads, no rendering (it cost a busy hub a sixth of its CPU)
            store.awaitSignal(Store.Signal.LOGGED, logged, POLL_MS);
            return;
        }
        if (idle) {
            idle = false;
            followed = newestId();
            recent = new RecentEvents(followed, RECENT_BYTES); // a stream that needs earlier events reads them from the log
            subscribers.forEach(Subscriber::follow); // one that opened meanwhile may have missed events in between: it catches up
            // and a credential may have ended among the events skipped here, after that stream's opening check
            checkCredentials(subscribers);
        }
        long sinceBatch = System.nanoTime() - batchWrittenAt;
        if (sinceBatch < GATHER_NANOS) {
            Thread.sleep(Duration.ofNanos(GATHER_NANOS - sinceBatch)); // what is logged meanwhile joins this batch
        }
        List<Event> events = log.after(followed, null, null, BATCH);
        if (!events.isEmpty()) {
            batchWrittenAt = System.nanoTime();
            followed = events.getLast().id();
            recent.add(RecentEvents.Batch.of(events));
            subscribers.forEach(Subscriber::follow);
            if (events.stream().anyMatch(event -> CREDENTIAL_ENDING_EVENTS.contains(event.kind()))) {
                checkCredentials(subscribers);
            }
        }
        long now = System.nanoTime();
        if (!unchecked.isEmpty() && now - recheckedAt > RECHECK_MS * 1_000_000) {
            recheckedAt = now;
            checkCredentials(unchecked);
        }
        if (now - keepalivesCheckedAt > KEEPALIVE_MS * 1_000_000 / 2) {
            keepalivesCheckedAt = now;
            subscribers.forEach(subscriber -> subscriber.keepAliveIfQuietSince(now - KEEPALIVE_MS * 1_000_000));
        }
        if (events.size() < BATCH) {
            store.awaitSignal(Store.Signal.LOGGED, logged, POLL_MS);
        }
    }

    /** Checks the streams' credentials again, off the follower (each check reads the store). */
    private void checkCredentials(Set<Subscriber> streams) {
        List<Subscriber> checked = List.copyOf(streams);
        Thread.ofVirtual().name("event stream credentials").start(() -> checked.forEach(Subscriber::checkCredential));
    }

    /**
     * One open stream: where it is in the log, and its non-blocking output. It is written by
     * whichever thread drains it (the follower after a new batch, or the container when the socket
     * can take more), never by two at once: a drain runs only on the thread that raised
     * {@link #drains} from zero, and repeats while others asked for one meanwhile.
     */
    private final class Subscriber implements WriteListener {
        private final AsyncContext async;
        private final ServletOutputStream out;
        private final String who;
        private final BooleanSupplier credentialHolds;
        private final String kind;
        private final String agent;
        private final AtomicInteger drains = new AtomicInteger();
        private final AtomicBoolean closed = new AtomicBoolean();
        /** Set by the container's first call: before it, the output is not yet non-blocking and must not be touched. */
        private volatile boolean listening;
        private volatile boolean keepAliveDue;
        /** Set when what the stream has not sent is no longer all held: it reads the log, never on the follower. */
        private volatile boolean behind;
        private volatile long lastWriteAt = System.nanoTime();
        // touched only by the draining thread:
        /** The newest event this stream has passed (sent, or filtered out). */
        private long after;
        /** What the stream took and has not written: the held batches themselves (shared, not copied), or its own filtered frames. */
        private final ArrayDeque<byte[]> unwritten = new ArrayDeque<>();
        private boolean unflushed;

        Subscriber(AsyncContext async, ServletOutputStream out, String who, BooleanSupplier credentialHolds, long after, String kind, String agent) {
            this.async = async;
            this.out = out;
            this.who = who;
            this.credentialHolds = credentialHolds;
            this.after = after;
            this.kind = kind;
            this.agent = agent;
            this.unwritten.add((": swarm events after " + after + "\n\n").getBytes(StandardCharsets.UTF_8));
        }

        /** The follower's call after a new batch. */
        void follow() {
            drain(true);
        }

        /** The follower's call now and then. */
        void keepAliveIfQuietSince(long since) {
            if (lastWriteAt < since) {
                keepAliveDue = true;
                drain(true);
            }
        }

        @Override
        public void onWritePossible() {
            listening = true;
            drain(false);
        }

        @Override
        public void onError(Throwable failure) {
            close(); // the client went away
        }

        /**
         * Writes what the stream has not sent while its socket takes it. The follower never reads
         * the log for one stream (the others would wait): a stream that fell behind what is held
         * is left to a thread of its own until it is back.
         */
        private void drain(boolean onFollower) {
            if (!listening || onFollower && behind) {
                return; // the container's first call drains; a stream behind is drained by its catch-up thread
            }
            if (drains.getAndIncrement() != 0) {
                return; // the thread draining now drains again for this request
            }
            do {
                try {
                    writeWhileReady(onFollower);
                } catch (IOException | RuntimeException failure) {
                    close(); // the client went away, or the log could not be read: the client resumes with Last-Event-ID
                }
            } while (drains.decrementAndGet() != 0);
            if (onFollower && behind) {
                Thread.ofVirtual().name("event stream catch-up").start(() -> drain(false));
            }
        }

        private void writeWhileReady(boolean onFollower) throws IOException {
            while (!closed.get() && out.isReady()) { // not ready: the container calls onWritePossible when it is
                if (!unwritten.isEmpty()) {
                    out.write(unwritten.poll());
                    unflushed = true;
                    lastWriteAt = System.nanoTime();
                } else if (unflushed) {
                    out.flush();
                    unflushed = false;
                } else if (!moveOn(onFollower)) {
                    return;
                }
            }
        }

        /**
         * Takes what comes after {@link #after} into {@link #unwritten}, a bounded piece at a time;
         * false when there is nothing to take (now, or on this thread).
         */
        private boolean moveOn(boolean onFollower) {
            for (;;) {
                List<RecentEvents.Batch> held = recent.after(after, TAKE_BYTES);
                behind = held == null;
                if (behind && onFollower) {
                    return false;
                }
                if (held == null) {
                    readLog();
                } else {
                    held.forEach(this::take);
                }
                if (!unwritten.isEmpty()) {
                    keepAliveDue = false;
                    return true;
                }
                if (held == null) {
                    return true; // after a log read, look at what is held again
                }
                if (held.isEmpty()) {
                    break; // else: all filtered out, look further
                }
            }
            if (keepAliveDue) {
                keepAliveDue = false;
                unwritten.add(KEEPALIVE);
                return true;
            }
            return false;
        }

        private void readLog() {
            long completeAfter = recent.completeAfter(); // read before the log: every event up to it is logged
            List<Event> events = log.after(after, agent, kind, BATCH);
            ByteArrayOutputStream next = new ByteArrayOutputStream();
            events.forEach(event -> next.writeBytes(RecentEvents.Frame.of(event).bytes()));
            if (!events.isEmpty()) {
                after = events.getLast().id();
            }
            if (events.size() < BATCH) {
                after = Math.max(after, completeAfter); // no match up to it is left unread
            }
            if (next.size() > 0) {
                unwritten.add(next.toByteArray());
            }
        }

        private void take(RecentEvents.Batch batch) {
            if (kind == null && agent == null && batch.firstId() > after) {
                unwritten.add(batch.bytes()); // shared by every stream: written as it is, never copied
            } else {
                ByteArrayOutputStream next = new ByteArrayOutputStream();
                for (RecentEvents.Frame frame : batch.frames()) {
                    if (frame.event().id() > after && frame.matches(kind, agent)) {
                        next.writeBytes(frame.bytes());
                    }
                }
                if (next.size() > 0) {
                    unwritten.add(next.toByteArray());
                }
            }
            after = Math.max(after, batch.lastId());
        }

        /**
         * Closes the stream when its credential ended. One that could not be checked (the store
         * failed) may still hold: the stream stays open and is checked again, so that a store
         * hiccup does not end every viewer's stream.
         */
        void checkCredential() {
            boolean holds;
            try {
                holds = credentialHolds.getAsBoolean();
            } catch (StoreException storeFailed) { // anything else is a defect: it ends the follower's pass and is logged there
                unchecked.add(this);
                if (closed.get()) {
                    unchecked.remove(this); // closed meanwhile: nothing to check again
                }
                return;
            }
            if (holds) {
                unchecked.remove(this);
            } else {
                close();
            }
        }

        void close() {
            if (closed.compareAndSet(false, true)) {
                subscribers.remove(this);
                unchecked.remove(this);
                countClosed(who);
                try {
                    async.complete();
                } catch (IllegalStateException alreadyEnded) {
                    // the container ended the request first
                }
            }
        }
    }

    /** Opens a stream for the caller; {@code credentialHolds} checks again that the caller's credential has not ended. */
    void stream(Caller caller, BooleanSupplier credentialHolds, HttpServletRequest request, HttpServletResponse response) throws IOException {
        String kind = request.getParameter("kind");
        String agent = request.getParameter("agent");
        long after = startingPoint(request);
        String who = caller.operator() ? "operator" : caller.agent();
        int limit = settings.value(STREAMS_PER_TOKEN);
        if (openByCaller.merge(who, 1, Integer::sum) > limit) {
            countClosed(who);
            throw new RateLimitedException(who + " has " + limit + " event streams open already (setting "
                    + STREAMS_PER_TOKEN.name() + "): close one first", KEEPALIVE_MS);
        }
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        AsyncContext async = request.startAsync();
        async.setTimeout(0); // open until the client leaves or the hub stops
        ServletOutputStream out = response.getOutputStream();
        Subscriber subscriber = new Subscriber(async, out, who, credentialHolds, after, kind, agent);
        subscribers.add(subscriber); // before its catch-up reads the log: every later event is offered to it
        if (stopping) {
            subscriber.close();
            return;
        }
        subscriber.checkCredential(); // a logout logged since the caller was authenticated may have been followed before the add
        if (subscriber.closed.get()) {
            return;
        }
        out.setWriteListener(subscriber); // the container calls onWritePossible: the start line, then the catch-up
    }

    private void countClosed(String who) {
        openByCaller.computeIfPresent(who, (name, open) -> open > 1 ? open - 1 : null);
    }

    private long startingPoint(HttpServletRequest request) {
        String resume = request.getHeader("Last-Event-ID");
        if (resume == null) {
            resume = request.getParameter("after");
        }
        if (resume != null) {
            try {
                return Long.parseLong(resume.strip());
            } catch (NumberFormatException e) {
                throw SwarmException.badInput("Last-Event-ID must be an event id, not '" + resume + "'");
            }
        }
        return newestId();
    }

    private long newestId() {
        List<Event> newest = log.latest(null, null, 1);
        return newest.isEmpty() ? 0 : newest.get(0).id();
    }
}
