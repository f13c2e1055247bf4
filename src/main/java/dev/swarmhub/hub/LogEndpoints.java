package dev.swarmhub.hub;

import dev.swarmhub.hub.JsonViews.EventsView;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.LogOperations;
import dev.swarmhub.kernel.LogOperations.Read;
import java.util.List;

/** Reading the event log with its view, as the CLI, HTTP and MCP expose it. */
public final class LogEndpoints {

    public final Exposed<Read, List<Event>> read;

    public LogEndpoints(LogOperations operations) {
        read = Exposed.of(operations.read, EventsView.class, (a, events) -> JsonViews.events(events));
    }
}
