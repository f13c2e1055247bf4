package dev.swarmhub.agents;

import dev.swarmhub.kernel.Tx;
import java.util.List;
import java.util.Optional;

/** The agent rows of a transaction ({@link Tx#part}): what the agent domain reads and writes in the store. */
public interface AgentStore {

    static AgentStore in(Tx tx) {
        return tx.part(AgentStore.class);
    }

    Optional<Agent> agent(String id);

    /** The agent (not gone) that owns this pane of the tmux server at {@code socket} on this host. */
    Optional<Agent> liveAgentOnPane(String host, String socket, String pane);

    /** The agent that ran as this client session most lately, gone or not. */
    Optional<Agent> lastAgentOfSession(String session);

    /** The agents not gone on {@code host} that run as this client session, by id. */
    List<Agent> liveAgentsOfSession(String host, String session);

    /** The agent bound to this pane of the tmux server at {@code socket} on {@code host} most lately: the live one, else the last gone. */
    Optional<Agent> lastAgentOnPane(String host, String socket, String pane);

    /** The agents not gone on {@code host} that are in a tmux pane (a pane and its server recorded), by id. */
    List<Agent> liveAgentsInPanes(String host);

    /** The agents not gone on {@code host} whose registered process is {@code pid}, by id. */
    List<Agent> liveAgentsOfProcess(String host, long pid);

    /** The ids of every agent, gone or not, that start with {@code prefix}. */
    List<String> idsStartingWith(String prefix);

    /** The first {@code limit} agents not gone, by id. */
    List<Agent> firstLive(int limit);

    /** How many agents are not gone. */
    int liveCount();

    /** Whether any agent is active (not stale, not gone). */
    boolean anyActive();

    /** The agents by id: those not gone, or ({@code includeGone}) every one. */
    List<Agent> agents(boolean includeGone);

    /**
     * Agents not gone that are on {@code host}, or were last seen at or before {@code seenBefore}
     * on a host whose hubs have all been silent since {@code hubsSeenSince} (a hub seen since
     * judges its host's agents by their processes): the first {@code limit} by id after {@code afterId}.
     */
    List<Agent> sweepCandidates(long seenBefore, String host, long hubsSeenSince, String afterId, int limit);

    /** The id the liveness sweep's last batch ended at; empty: the next batch starts from the first. */
    String sweptThrough();

    void sweptThrough(String id);

    /** The hub of this scope (host and checkout) on {@code host} is running: seen now. */
    void hubSeen(String scope, String host);

    /** The hub of this scope stopped: it vouches for its host no more. */
    void hubStopped(String scope);

    /** Inserts or replaces the agent; {@code tokenHash} null leaves it unclaimed. */
    void saveAgent(Agent agent, String tokenHash);

    /** A claimed agent with its token's hash: what admitting a caller checks, read at once. */
    record Claimed(Agent agent, String tokenHash) {
    }

    /** The agent if it is claimed (has a token). */
    Optional<Claimed> claimedAgent(String id);

    void setAgentToken(String id, String tokenHash);

    /** The agent's process is on {@code host}. */
    void setAgentHost(String id, String host);

    /** Records activity: last seen now. */
    void touchAgent(String id);

    void setAgentStatus(String id, Agent.Status status);

    void deleteAgent(String id);

    /** The agents gone since before the time, longest gone first, at most {@code limit}. */
    List<Agent> goneBefore(long time, int limit);

    /** Records what the agent is doing, since when, and its latest sign of progress. */
    void setActivity(String id, Agent.Activity activity, long since, long progressAt);

    /** Agents not gone that are working with no progress since {@code progressBefore} (or at it). */
    List<Agent> workingWithoutProgressSince(long progressBefore);

    /** The agent whose token has this hash. */
    Optional<String> agentWithTokenHash(String tokenHash);
}
