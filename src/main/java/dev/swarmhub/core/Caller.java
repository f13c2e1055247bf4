package dev.swarmhub.core;

/**
 * Who is asking: an agent with the token it was given at registration, or the operator (whose
 * token the caller's layer has already checked against .swarm/operator.token).
 */
public record Caller(String agent, String token, boolean operator) {

    public static Caller ofAgent(String agent, String token) {
        return new Caller(agent, token, false);
    }

    public static Caller ofOperator() {
        return new Caller(null, null, true);
    }

    @Override
    public String toString() { // never print the token
        return operator ? "operator" : "agent " + agent;
    }
}
