package dev.swarmhub.hub;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.AgentOperations.None;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.JsonViews.AgentView;
import dev.swarmhub.hub.JsonViews.AgentsView;
import dev.swarmhub.hub.JsonViews.LeftView;
import dev.swarmhub.leases.Lease;
import java.util.List;

/** The agent operations with their views, as the CLI, HTTP and MCP expose them. */
public final class AgentEndpoints {

    public final Exposed<AgentOperations.Listing, List<Agents.Listed>> list;
    public final Exposed<None, Agent> whoami;
    public final Exposed<None, Agent> heartbeat;
    public final Exposed<None, List<Lease>> leave;
    public final Exposed<AgentOperations.Report, Agent> report;

    public AgentEndpoints(AgentOperations operations) {
        list = Exposed.of(operations.list, AgentsView.class, (a, listed) -> JsonViews.agents(listed));
        whoami = Exposed.of(operations.whoami, AgentView.class, (a, agent) -> JsonViews.agent(agent, null));
        heartbeat = Exposed.of(operations.heartbeat, AgentView.class, (a, agent) -> JsonViews.agent(agent, null));
        leave = Exposed.of(operations.leave, LeftView.class, (a, released) -> JsonViews.left(released));
        report = Exposed.of(operations.report, AgentView.class, (a, agent) -> JsonViews.agent(agent, null));
    }
}
