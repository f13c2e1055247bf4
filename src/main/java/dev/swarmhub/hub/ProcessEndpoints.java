package dev.swarmhub.hub;

import dev.swarmhub.hub.JsonViews.ProcessStatsView;
import dev.swarmhub.hub.JsonViews.ProcessView;
import dev.swarmhub.hub.JsonViews.ProcessesView;
import dev.swarmhub.hub.JsonViews.SpawnedView;
import dev.swarmhub.processes.ProcessOperations;
import dev.swarmhub.processes.ProcessOperations.Kill;
import dev.swarmhub.processes.ProcessOperations.Listing;
import dev.swarmhub.processes.ProcessOperations.None;
import dev.swarmhub.processes.ProcessOperations.One;
import dev.swarmhub.processes.ProcessOperations.Spawn;
import dev.swarmhub.processes.Processes;
import dev.swarmhub.processes.Run;
import java.util.List;

/** The process operations with their views, as the CLI, HTTP and MCP expose them. */
public final class ProcessEndpoints {

    public final Exposed<Spawn, Processes.Spawned> spawn;
    public final Exposed<Listing, List<Run>> list;
    public final Exposed<One, Run> show;
    public final Exposed<Kill, List<Run>> kill;
    public final Exposed<None, Processes.Stats> stats;

    public ProcessEndpoints(ProcessOperations operations) {
        spawn = Exposed.creating(operations.spawn, SpawnedView.class,
                spawned -> new SpawnedView(JsonViews.process(spawned.run()), spawned.run().state() == Run.State.QUEUED ? spawned.queuedBefore() : null), null);
        list = Exposed.of(operations.list, ProcessesView.class, (a, runs) -> JsonViews.processes(runs));
        show = Exposed.of(operations.show, ProcessView.class, (a, run) -> JsonViews.process(run));
        kill = Exposed.waiting(operations.kill, ProcessesView.class, (a, runs) -> JsonViews.processes(runs), a -> true);
        stats = Exposed.of(operations.stats, ProcessStatsView.class, (a, stats) -> JsonViews.processStats(stats));
    }
}
