package dev.swarmhub.kernel;

/**
 * Who is asking: an agent with the token it was given at registration, or the operator (whose
 * token the caller's layer has already checked against .swarm/operator.token).
 */
public record Caller(String agent, String token, boolean operator) {

    /** The operator's id where an agent's would stand: its inbox (escalations reach it). No agent may register under it. */
    public static final String OPERATOR_ID = "operator";
    /** The sender of the hub's own messages (escalations). No agent may register under it. */
    public static final String HUB_ID = "swarm";

    public static Caller ofAgent(String agent, String token) {
        return new Caller(agent, token, false);
    }

    public static Caller ofOperator() {
        return new Caller(null, null, true);
    }

    /** The acting agent's id; the operator acts for no agent, so agent operations refuse it. */
    public String agentId() {
        if (operator) {
            throw SwarmException.badInput("the operator token acts for no agent: use the agent's own token");
        }
        if (agent == null || agent.isEmpty()) {
            throw SwarmException.unauthenticated("no agent given", SwarmException.Missing.AGENT);
        }
        return Limits.agentId(agent);
    }

    /** Refuses all but the operator, naming what only it may do (e.g. "prune"); checked before any argument, so others learn nothing of them. */
    public void requireOperator(String what) {
        if (!operator) {
            throw SwarmException.unauthenticated("only the operator may " + what + " (token in .swarm/operator.token)");
        }
    }

    @Override
    public String toString() { // never print the token
        return operator ? "operator" : "agent " + agent;
    }
}
