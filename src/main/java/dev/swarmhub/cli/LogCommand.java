package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.core.Event;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code swarm log}: the store's event log, oldest first. */
@Command(name = "log", description = "Show the event log (every lease change, with store time).")
final class LogCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "How many events (default 50).")
    int limit;

    @Option(names = "--holder", paramLabel = "AGENT", description = "Only events of this agent.")
    String holder;

    @Option(names = "--kind", paramLabel = "KIND", description = "Only events of this kind (e.g. lease.acquired).")
    String kind;

    @Option(names = "--after", paramLabel = "ID", description = "Events after this id (oldest first) instead of the newest.")
    Long after;

    @Override
    public Integer call() {
        List<Event> events;
        try (Session session = swarm.session()) {
            events = after == null ? session.log.latest(holder, kind, limit) : session.log.after(after, holder, kind, limit);
        }
        StringBuilder text = new StringBuilder();
        for (Event event : events) {
            text.append(String.format(Locale.ROOT, "%6d  %s  %-22s %-16s %s  %s%n", event.id(), Output.clock(event.at()),
                    event.kind(), event.agent() == null ? "-" : event.agent(), event.resource() == null ? "-" : event.resource(),
                    JsonViews.json(event.details())));
        }
        return swarm.output.result(Output.document("events", events.stream().map(JsonViews::event).toList()),
                events.isEmpty() ? "no events\n" : text.toString());
    }
}
