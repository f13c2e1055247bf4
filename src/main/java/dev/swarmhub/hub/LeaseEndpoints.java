package dev.swarmhub.hub;

import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.leases.LeaseOperations.Acquire;
import dev.swarmhub.leases.LeaseOperations.Cleanup;
import dev.swarmhub.leases.LeaseOperations.Holders;
import dev.swarmhub.leases.LeaseOperations.Release;
import dev.swarmhub.leases.LeaseOperations.ReleaseAgent;
import dev.swarmhub.leases.LeaseOperations.Renew;
import dev.swarmhub.leases.LeaseOperations.Who;
import dev.swarmhub.leases.Leases;
import java.util.List;

/** The lease operations with their views, as the CLI, HTTP and MCP expose them. */
public final class LeaseEndpoints {

    public final Exposed<Acquire, List<Lease>> acquire;
    public final Exposed<Renew, List<Lease>> renew;
    public final Exposed<Release, List<Leases.Released>> release;
    public final Exposed<Who, LeaseOperations.Holding> who;
    public final Exposed<Holders, List<Lease>> holders;
    public final Exposed<ReleaseAgent, List<Lease>> releaseAgent;
    public final Exposed<Cleanup, Leases.SweepReport> cleanup;

    public LeaseEndpoints(LeaseOperations operations) {
        acquire = Exposed.waiting(operations.acquire, (a, granted) -> OrderedMap.of("granted", true, "leases", JsonViews.leases(granted)),
                a -> a.waitFor() != null);
        renew = Exposed.of(operations.renew, (a, renewed) -> OrderedMap.of("renewed", JsonViews.leases(renewed)));
        release = Exposed.of(operations.release, (a, released) -> OrderedMap.of("released", JsonViews.released(released)));
        who = Exposed.of(operations.who, (a, holding) -> OrderedMap.of("resource", holding.resource().text(),
                "leases", JsonViews.leases(holding.leases())));
        holders = Exposed.of(operations.holders, (a, found) -> OrderedMap.of("leases", JsonViews.leases(found)));
        releaseAgent = Exposed.of(operations.releaseAgent, (a, released) -> OrderedMap.of("agent", a.agent(),
                "released", JsonViews.leases(released)));
        cleanup = Exposed.of(operations.cleanup, (a, report) -> OrderedMap.of("expired", JsonViews.leases(report.expired()),
                "deadWaiters", report.deadWaiters()));
    }
}
