package dev.swarmhub.hub;

import dev.swarmhub.core.Caller;
import dev.swarmhub.core.Event;
import dev.swarmhub.core.EventLog;
import dev.swarmhub.core.RateLimitedException;
import dev.swarmhub.core.Settings;
import dev.swarmhub.core.Store;
import dev.swarmhub.core.SwarmException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * GET /api/v1/events: the event log as server-sent events, each with its log id as the event
 * id. A client resumes with Last-Event-ID (or ?after=ID) and gets every later event exactly once;
 * without either it gets only new events. Filters: ?kind=, ?agent=.
 *
 * <p>One follower thread reads the log (as soon as a write in the hub appends to it, and at least
 * every 50 ms for writes by processes that bypass the hub) and hands each new batch to every
 * stream's own queue; a stream first catches up from its starting point by reading the log
 * itself, then writes what its queue brings. So a thousand streams cost one log read per batch,
 * not a thousand reads and a thousand wake-ups contending for the store. A stream whose queue
 * overflowed (its client reads too slowly) catches up from the log again. Each token (an agent's,
 * or the operator's) may hold at most {@link Settings#STREAMS_PER_TOKEN} streams open at once; one
 * more is refused with 429.
 */
final class EventStream {

    private static final long POLL_MS = 50;
    private static final long KEEPALIVE_MS = 15_000;
    private static final int BATCH = 500;
    private static final int QUEUED_BATCHES = 1_000;

    private final EventLog log;
    private final Store store;
    private final Settings settings;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> openByCaller = new ConcurrentHashMap<>();
    private final Thread follower;
    /** The newest event handed to the subscribers; only the follower thread touches it. */
    private long followed;
    private volatile boolean stopping;

    EventStream(EventLog log, Store store, Settings settings) {
        this.log = log;
        this.store = store;
        this.settings = settings;
        this.followed = newestId();
        this.follower = BackgroundLoop.start("event stream follower", this::follow);
    }

    void stop() {
        stopping = true;
        follower.interrupt();
        subscribers.forEach(Subscriber::wake);
    }

    private void follow() throws InterruptedException {
        long logged = store.signalCount(Store.Signal.LOGGED);
        List<Event> events = log.after(followed, null, null, BATCH);
        if (!events.isEmpty()) {
            followed = events.getLast().id();
            List<Frame> frames = events.stream().map(Frame::of).toList(); // rendered once, not once per stream
            subscribers.forEach(subscriber -> subscriber.offer(frames));
        }
        if (events.size() < BATCH) {
            store.awaitSignal(Store.Signal.LOGGED, logged, POLL_MS);
        }
    }

    /** An event as the stream sends it. */
    private record Frame(Event event, String text) {
        static Frame of(Event event) {
            return new Frame(event, "id: " + event.id() + "\nevent: " + event.kind() + "\ndata: " + JsonViews.json(JsonViews.event(event)) + "\n\n");
        }

        boolean matches(long after, String kind, String agent) {
            return event.id() > after && (kind == null || kind.equals(event.kind())) && (agent == null || agent.equals(event.agent()));
        }
    }

    /** One open stream's queue of batches from the follower. */
    private static final class Subscriber {
        final BlockingQueue<List<Frame>> batches = new LinkedBlockingQueue<>(QUEUED_BATCHES);
        /** Set when a batch did not fit: the stream reads the log itself to catch up. */
        volatile boolean overflowed;

        void offer(List<Frame> batch) {
            if (!batches.offer(batch)) {
                overflowed = true;
            }
        }

        void wake() {
            batches.offer(List.of());
        }
    }

    void stream(Caller caller, HttpServletRequest request, HttpServletResponse response) throws IOException {
        String kind = request.getParameter("kind");
        String agent = request.getParameter("agent");
        long after = startingPoint(request);
        String who = caller.operator() ? "operator" : caller.agent();
        int limit = settings.streamsPerToken();
        if (openByCaller.merge(who, 1, Integer::sum) > limit) {
            close(who);
            throw new RateLimitedException(who + " has " + limit + " event streams open already (setting "
                    + Settings.STREAMS_PER_TOKEN + "): close one first", KEEPALIVE_MS);
        }
        Subscriber subscriber = new Subscriber();
        subscribers.add(subscriber);
        try {
            response.setStatus(200);
            response.setContentType("text/event-stream");
            response.setCharacterEncoding("UTF-8");
            response.setHeader("Cache-Control", "no-cache");
            PrintWriter out = response.getWriter();
            out.write(": swarm events after " + after + "\n\n");
            out.flush();
            send(subscriber, out, after, kind, agent);
        } finally {
            subscribers.remove(subscriber);
            close(who);
        }
    }

    private void close(String who) {
        openByCaller.computeIfPresent(who, (name, open) -> open > 1 ? open - 1 : null);
    }

    /** Writes the stream's events until the client leaves or the hub stops. */
    private void send(Subscriber subscriber, PrintWriter out, long after, String kind, String agent) {
        boolean catchingUp = true;
        long quietSince = System.nanoTime();
        while (!stopping) {
            List<Frame> frames = new ArrayList<>();
            if (catchingUp) {
                List<Event> events = log.after(after, agent, kind, BATCH);
                events.forEach(event -> frames.add(Frame.of(event)));
                catchingUp = events.size() == BATCH;
            } else {
                List<List<Frame>> batches = new ArrayList<>();
                try {
                    List<Frame> first = subscriber.batches.poll(KEEPALIVE_MS, TimeUnit.MILLISECONDS);
                    if (first != null) {
                        batches.add(first);
                        subscriber.batches.drainTo(batches); // all that queued meanwhile: one write, one flush
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (subscriber.overflowed) {
                    subscriber.overflowed = false;
                    subscriber.batches.clear(); // what it held is in the log: read from there, then follow again
                    catchingUp = true;
                    continue;
                }
                for (List<Frame> batch : batches) {
                    for (Frame frame : batch) {
                        if (frame.matches(after, kind, agent)) {
                            frames.add(frame);
                        }
                    }
                }
            }
            for (Frame frame : frames) {
                out.write(frame.text());
                after = frame.event().id();
            }
            if (!frames.isEmpty() || System.nanoTime() - quietSince > KEEPALIVE_MS * 1_000_000) {
                if (frames.isEmpty()) {
                    out.write(": keepalive\n\n");
                }
                out.flush();
                if (out.checkError()) {
                    return; // the client went away
                }
                quietSince = System.nanoTime();
            }
        }
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
