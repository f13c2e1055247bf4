package dev.swarmhub.agents;

import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Effect;
import dev.swarmhub.kernel.Operation;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import java.util.List;

/**
 * The agent operations every adapter offers alike. Registration is not among them: each transport
 * binds a registration differently (a pane over HTTP and the CLI, a session over MCP).
 */
public final class AgentOperations {

    /** No arguments: the caller is the subject. */
    public record None() {
    }

    public final Operation<Listing, List<Agents.Listed>> list;
    public final Operation<None, Agent> whoami;
    public final Operation<None, Agent> heartbeat;
    public final Operation<None, List<Lease>> leave;
    public final Operation<Report, Agent> report;

    public record Listing(@Doc("true: only those needing a human") Boolean problems,
            @Doc("true: gone agents too (listed only while pruning keeps them)") Boolean all) {
    }

    public record Report(@Doc(value = "What it does now", required = true) Agent.Activity activity) {
    }

    public AgentOperations(Agents agents) {
        list = new Operation<>("agent.list", "Agents with status, activity, leases.", Listing.class, false, Effect.READ,
                (caller, a) -> {
                    List<Agents.Listed> listed = agents.list(Boolean.TRUE.equals(a.all()));
                    return Boolean.TRUE.equals(a.problems()) ? listed.stream().filter(one -> one.agent().needsHuman()).toList() : listed;
                });
        whoami = new Operation<>("agent.whoami", "The calling agent.", None.class, false, Effect.READ, (caller, a) -> agents.find(caller.agentId())
                .orElseThrow(() -> SwarmException.unauthenticated("agent " + caller.agentId() + " is not registered")));
        heartbeat = new Operation<>("agent.heartbeat", "Mark this agent active.", None.class, true, Effect.SET, (caller, a) -> agents.heartbeat(caller));
        leave = new Operation<>("agent.leave", "Leave: this agent is gone, its leases released.", None.class, true, Effect.REMOVE,
                (caller, a) -> agents.leave(caller));
        report = new Operation<>("agent.report", "Tell what this agent does now.", Report.class, true, Effect.SET,
                (caller, a) -> agents.report(caller, a.activity()));
    }
}
