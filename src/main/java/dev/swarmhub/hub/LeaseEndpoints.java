package dev.swarmhub.hub;

import dev.swarmhub.hub.JsonViews.AgentReleasedView;
import dev.swarmhub.hub.JsonViews.CleanupView;
import dev.swarmhub.hub.JsonViews.GrantedView;
import dev.swarmhub.hub.JsonViews.HoldingView;
import dev.swarmhub.hub.JsonViews.LeasesView;
import dev.swarmhub.hub.JsonViews.ReleasedView;
import dev.swarmhub.hub.JsonViews.RenewedView;
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
import dev.swarmhub.leases.Waiter;
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
    public final Exposed<LeaseOperations.Queues, List<Waiter>> waiters;
    public final Exposed<LeaseOperations.FenceCheck, Lease> fenceCheck;
    public final Exposed<LeaseOperations.FencedWrite, Lease> fencedWrite;

    public LeaseEndpoints(LeaseOperations operations) {
        acquire = Exposed.waiting(operations.acquire, GrantedView.class, (a, granted) -> JsonViews.granted(granted), a -> a.waitFor() != null);
        renew = Exposed.of(operations.renew, RenewedView.class, (a, renewed) -> JsonViews.renewed(renewed));
        release = Exposed.of(operations.release, ReleasedView.class, (a, released) -> JsonViews.releasedList(released));
        who = Exposed.of(operations.who, HoldingView.class, (a, holding) -> JsonViews.holding(holding.resource(), holding.leases()));
        holders = Exposed.of(operations.holders, LeasesView.class, (a, found) -> JsonViews.leaseList(found));
        releaseAgent = Exposed.of(operations.releaseAgent, AgentReleasedView.class, (a, released) -> JsonViews.agentReleased(a.agent(), released));
        cleanup = Exposed.of(operations.cleanup, CleanupView.class, (a, report) -> JsonViews.cleanup(report.expired(), report.deadWaiters()));
        waiters = Exposed.of(operations.waiters, JsonViews.WaitersView.class, (a, queued) -> JsonViews.waiters(queued));
        fenceCheck = Exposed.of(operations.fenceCheck, JsonViews.FencedView.class, (a, lease) -> JsonViews.fenced(lease));
        fencedWrite = Exposed.of(operations.fencedWrite, JsonViews.FencedWriteView.class, (a, lease) -> JsonViews.fencedWrite(a.path(), lease));
    }
}
