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

/** The lease operations with their views, as HTTP and MCP expose them. */
final class LeaseEndpoints {

    final Exposed<Acquire, List<Lease>> acquire;
    final Exposed<Renew, List<Lease>> renew;
    final Exposed<Release, List<Leases.Released>> release;
    final Exposed<Who, List<Lease>> who;
    final Exposed<Holders, List<Lease>> holders;
    final Exposed<ReleaseAgent, List<Lease>> releaseAgent;
    final Exposed<Cleanup, Leases.CleanupReport> cleanup;

    LeaseEndpoints(LeaseOperations operations) {
        acquire = Exposed.waiting(operations.acquire, (a, granted) -> OrderedMap.of("granted", true, "leases", JsonViews.leases(granted)),
                a -> a.waitFor() != null);
        renew = Exposed.of(operations.renew, (a, renewed) -> OrderedMap.of("renewed", JsonViews.leases(renewed)));
        release = Exposed.of(operations.release, (a, released) -> OrderedMap.of("released", JsonViews.released(released)));
        who = Exposed.of(operations.who, (a, found) -> OrderedMap.of("leases", JsonViews.leases(found)));
        holders = Exposed.of(operations.holders, (a, found) -> OrderedMap.of("leases", JsonViews.leases(found)));
        releaseAgent = Exposed.of(operations.releaseAgent, (a, released) -> OrderedMap.of("agent", a.agent(),
                "released", JsonViews.leases(released)));
        cleanup = Exposed.of(operations.cleanup, (a, report) -> OrderedMap.of("expired", JsonViews.leases(report.expired()),
                "deadWaiters", report.deadWaiters()));
    }
}
