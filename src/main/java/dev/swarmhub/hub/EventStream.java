package dev.swarmhub.hub;

import dev.swarmhub.core.Event;
import dev.swarmhub.core.EventLog;
import dev.swarmhub.core.Store;
import dev.swarmhub.core.SwarmException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/**
 * GET /api/v1/events: the event log as server-sent events, each with its log id as the event
 * id. A client resumes with Last-Event-ID (or ?after=ID) and gets every later event exactly once;
 * without either it gets only new events. Filters: ?kind=, ?agent=. The log is read again as
 * soon as a write in the hub appends to it, and at least every 50 ms for writes by processes
 * that bypass the hub.
 */
final class EventStream {

    private static final long POLL_MS = 50;
    private static final long KEEPALIVE_MS = 15_000;
    private static final int BATCH = 500;

    private final EventLog log;
    private final Store store;
    private volatile boolean stopping;

    EventStream(EventLog log, Store store) {
        this.log = log;
        this.store = store;
    }

    void stop() {
        stopping = true;
    }

    void stream(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String kind = request.getParameter("kind");
        String agent = request.getParameter("agent");
        long after = startingPoint(request);
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        PrintWriter out = response.getWriter();
        out.write(": swarm events after " + after + "\n\n");
        out.flush();
        long quietSince = System.nanoTime();
        while (!stopping) {
            long logged = store.signalCount(Store.Signal.LOGGED);
            List<Event> events = log.after(after, agent, kind, BATCH);
            for (Event event : events) {
                out.write("id: " + event.id() + "\nevent: " + event.kind() + "\ndata: " + JsonViews.json(JsonViews.event(event)) + "\n\n");
                after = event.id();
            }
            if (!events.isEmpty() || System.nanoTime() - quietSince > KEEPALIVE_MS * 1_000_000) {
                if (events.isEmpty()) {
                    out.write(": keepalive\n\n");
                }
                out.flush();
                if (out.checkError()) {
                    return; // the client went away
                }
                quietSince = System.nanoTime();
            }
            if (events.size() < BATCH) {
                try {
                    store.awaitSignal(Store.Signal.LOGGED, logged, POLL_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
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
        List<Event> newest = log.latest(null, null, 1);
        return newest.isEmpty() ? 0 : newest.get(0).id();
    }
}
