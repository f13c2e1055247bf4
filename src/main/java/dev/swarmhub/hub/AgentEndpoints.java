package dev.swarmhub.hub;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.AgentOperations.None;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.leases.Lease;
import java.util.List;

/** The agent operations with their views, as the CLI, HTTP and MCP expose them. */
public final class AgentEndpoints {

    public final Exposed<None, List<Agents.Listed>> list;
    public final Exposed<None, Agent> whoami;
    public final Exposed<None, Agent> heartbeat;
    public final Exposed<None, List<Lease>> leave;

    public AgentEndpoints(AgentOperations operations) {
        list = Exposed.of(operations.list, (a, listed) -> OrderedMap.of("agents", listed.stream()
                .map(one -> JsonViews.agent(one.agent(), one.leases())).toList()));
        whoami = Exposed.of(operations.whoami, (a, agent) -> JsonViews.agent(agent, null));
        heartbeat = Exposed.of(operations.heartbeat, (a, agent) -> JsonViews.agent(agent, null));
        leave = Exposed.of(operations.leave, (a, released) -> OrderedMap.of("released", JsonViews.leases(released)));
    }
}
