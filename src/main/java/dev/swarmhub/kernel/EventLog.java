package dev.swarmhub.kernel;

import java.util.List;

/** Reads the store's event log; every change to the store appends to it in the same transaction. */
public final class EventLog {

    public static final int MAX_LIMIT = 10_000;

    private final Store store;

    public EventLog(Store store) {
        this.store = store;
    }

    /** The newest events matching the filters (null: any), oldest first. */
    public List<Event> latest(String agent, String kind, int limit) {
        return store.read(tx -> tx.latestEvents(agent, kind, checkedLimit(limit)));
    }

    /** The newest events before the given id, oldest first: a page back in the log. */
    public List<Event> before(long beforeId, String agent, String kind, int limit) {
        return store.read(tx -> tx.eventsBefore(beforeId, agent, kind, checkedLimit(limit)));
    }

    /** Events after the given id, oldest first: the way to follow the log without missing one. */
    public List<Event> after(long afterId, String agent, String kind, int limit) {
        return store.read(tx -> tx.events(afterId, agent, kind, checkedLimit(limit)));
    }

    private static int checkedLimit(int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw SwarmException.badInput("limit " + limit + " is out of range: use 1 to " + MAX_LIMIT);
        }
        return limit;
    }
}
