package dev.swarmhub.hub;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tokens;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The checks every HTTP request to the hub passes first, API and MCP alike: a bearer token
 * (the operator's, or an agent's), then a Host header naming this server (against DNS rebinding
 * from a browser). Tokens never appear in URLs or logs.
 */
final class RequestGuard {

    private final String operatorTokenHash;
    private final Agents agents;
    private final ServedHosts servedHosts;

    RequestGuard(String operatorTokenHash, Agents agents, ServedHosts servedHosts) {
        this.operatorTokenHash = operatorTokenHash;
        this.agents = agents;
        this.servedHosts = servedHosts;
    }

    /**
     * The caller the request's bearer token names. {@code checkedAgainOnAdmit}: the operation's
     * own transaction checks the token again, so a token accepted before needs no read here.
     */
    Caller authenticate(HttpServletRequest request, boolean checkedAgainOnAdmit) {
        String token = bearerToken(request);
        if (Tokens.matches(token, operatorTokenHash)) {
            return Caller.ofOperator();
        }
        return checkedAgainOnAdmit ? agents.bearerCheckedAgainOnAdmit(token) : agents.bearer(token);
    }

    /** The token of the request's Authorization: Bearer header. */
    static String bearerToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw SwarmException.unauthenticated("missing bearer token: send Authorization: Bearer <agent or operator token>");
        }
        return header.substring(7).strip();
    }

    /** A refusal for lack of an agent, a token or a registration, with how to give it over HTTP (the API and MCP alike). */
    static SwarmException hinted(SwarmException failure) {
        if (failure.missing() == null) {
            return failure;
        }
        return failure.withHint(switch (failure.missing()) {
            case AGENT, TOKEN -> "send Authorization: Bearer <agent or operator token>";
            case REGISTRATION -> "register the agent (POST /api/v1/agents, or the MCP tool register_agent)";
        });
    }

    void checkHost(HttpServletRequest request) {
        String host = request.getHeader("Host");
        if (host == null || !servedHosts.allows(host)) {
            throw SwarmException.badInput("unexpected Host header '" + host + "': use the address the hub listens on");
        }
    }
}
