package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.LogOperations;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code swarm log}: the store's event log, oldest first; {@code --follow} keeps printing new events. The hub's own log: {@code swarm status --log}. */
@Command(name = "log", description = {"Show the event log (every change to leases, agents, messages and tasks, with store time); --follow keeps printing.",
        "The hub's own diagnostic log (starts, refused requests, failures) is another: swarm status --log."})
final class LogCommand implements Callable<Integer> {

    private static final long FOLLOW_POLL_MS = 100;

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

    @Option(names = "--before", paramLabel = "ID", description = "The newest events before this id: a page back in the log.")
    Long before;

    @ClientSide.RunsInClient
    @Option(names = {"-f", "--follow"}, description = "Keep printing new events until interrupted (one JSON document per line with --json).")
    boolean follow;

    @Override
    public Integer call() {
        LogOperations.Read read = new LogOperations.Read(holder, kind, after, before, limit);
        if (!follow) {
            return swarm.run(services -> services.logEndpoints.read, swarm.agentCaller(), read, events -> events.isEmpty() ? "no events\n" : lines(events));
        }
        try (CommandServices services = swarm.services()) {
            List<Event> events = services.logEndpoints.read.callCommitted(swarm.agentCaller(), read);
            long last = events.isEmpty() ? newestId(services) : events.get(events.size() - 1).id();
            while (true) {
                for (Event event : events) {
                    swarm.output.stream(JsonViews.json(JsonViews.event(event)), lines(List.of(event)));
                }
                try {
                    Thread.sleep(FOLLOW_POLL_MS); // following the log: the next read decides what is new
                } catch (InterruptedException stopped) {
                    return 0; // following ends when asked to, not with an error
                }
                events = services.log.after(last, holder, kind, 1000);
                if (!events.isEmpty()) {
                    last = events.get(events.size() - 1).id();
                }
            }
        }
    }

    private static long newestId(CommandServices services) {
        List<Event> newest = services.log.latest(null, null, 1);
        return newest.isEmpty() ? 0 : newest.get(0).id();
    }

    private static String lines(List<Event> events) {
        StringBuilder text = new StringBuilder();
        for (Event event : events) {
            text.append(String.format(Locale.ROOT, "%6d  %s  %-22s %-16s %s  %s%n", event.id(), Output.clock(event.at()),
                    event.kind(), event.agent() == null ? "-" : event.agent(), event.resource() == null ? "-" : event.resource(),
                    JsonViews.json(event.details())));
        }
        return text.toString();
    }
}
