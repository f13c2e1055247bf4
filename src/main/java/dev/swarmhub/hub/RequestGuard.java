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

    void checkHost(HttpServletRequest request) {
        String host = request.getHeader("Host");
        if (host == null || !servedHosts.allows(host)) {
            throw SwarmException.badInput("unexpected Host header '" + host + "': use the address the hub listens on");
        }
    }
}
