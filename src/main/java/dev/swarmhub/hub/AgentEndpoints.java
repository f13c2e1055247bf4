package dev.swarmhub.hub;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.AgentOperations.None;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.leases.Lease;
import java.util.List;

/** The agent operations with their views, as HTTP and MCP expose them. */
final class AgentEndpoints {

    final Exposed<None, List<Agents.Listed>> list;
    final Exposed<None, Agent> whoami;
    final Exposed<None, Agent> heartbeat;
    final Exposed<None, List<Lease>> leave;

    AgentEndpoints(AgentOperations operations) {
        list = Exposed.of(operations.list, (a, listed) -> OrderedMap.of("agents", listed.stream()
                .map(one -> JsonViews.agent(one.agent(), one.leases())).toList()));
        whoami = Exposed.of(operations.whoami, (a, agent) -> JsonViews.agent(agent, null));
        heartbeat = Exposed.of(operations.heartbeat, (a, agent) -> JsonViews.agent(agent, null));
        leave = Exposed.of(operations.leave, (a, released) -> OrderedMap.of("released", JsonViews.leases(released)));
    }
}
