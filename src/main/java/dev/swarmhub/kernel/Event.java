package dev.swarmhub.kernel;

import java.util.Map;

/** One entry of the store's event log; {@code agent} and {@code resource} may be null. */
public record Event(long id, long at, String kind, String agent, String resource, Map<String, Object> details) {
}
