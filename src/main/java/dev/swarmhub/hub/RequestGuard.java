package dev.swarmhub.hub;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.logins.Logins;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The checks every HTTP request to the hub passes first, API and MCP alike: a bearer token (the
 * operator's, or an agent's) or a dashboard session ({@code Authorization: Session <token>}, the
 * operator), then a Host header naming this server (against DNS rebinding from a browser). Tokens
 * never appear in URLs or logs.
 *
 * <p>The dashboard's session is no cookie: a browser sends a host's cookies to every port of it,
 * so any server on another port of 127.0.0.1 that the browser visits would receive it. The page
 * keeps it in sessionStorage, which is its origin's alone (port included), and sends it in a
 * header, which no page of another origin can make the browser send (no CORS here): no cross-site
 * request can act with it either.
 */
final class RequestGuard {

    private static final String BEARER = "Bearer ";
    private static final String SESSION = "Session ";

    private final String operatorTokenHash;
    private final Agents agents;
    private final Logins logins;
    private final ServedHosts servedHosts;

    RequestGuard(String operatorTokenHash, Agents agents, Logins logins, ServedHosts servedHosts) {
        this.operatorTokenHash = operatorTokenHash;
        this.agents = agents;
        this.logins = logins;
        this.servedHosts = servedHosts;
    }

    /**
     * The caller the request's token names: the operator (its token, or a live dashboard session),
     * or an agent. {@code checkedAgainOnAdmit}: the operation's own transaction checks the token
     * again, so a token accepted before needs no read here.
     */
    Caller authenticate(HttpServletRequest request, boolean checkedAgainOnAdmit) {
        String session = sessionToken(request);
        if (session != null) {
            if (!logins.isSession(session)) {
                throw SwarmException.unauthenticated("the dashboard's login ended or expired: run 'swarm dashboard' for a new login link");
            }
            return Caller.ofOperator();
        }
        String token = bearerToken(request);
        if (Tokens.matches(token, operatorTokenHash)) {
            return Caller.ofOperator();
        }
        return checkedAgainOnAdmit ? agents.bearerCheckedAgainOnAdmit(token) : agents.bearer(token);
    }

    /**
     * A check of the request's credential, to be made again while what it opened stays open (an
     * event stream): a dashboard session may end, an agent leave or get a new token.
     */
    BooleanSupplier credentialCheck(HttpServletRequest request) {
        String session = sessionToken(request);
        if (session != null) {
            return () -> logins.isSession(session);
        }
        String token = bearerToken(request);
        return Tokens.matches(token, operatorTokenHash) ? () -> true : () -> agents.holdsToken(token);
    }

    /** The token of the request's Authorization header, a bearer token or a dashboard session: what names the caller. */
    static String credential(HttpServletRequest request) {
        String session = sessionToken(request);
        return session != null ? session : bearerToken(request);
    }

    /** The dashboard session of an Authorization: Session header; null for any other. */
    static String sessionToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        return header != null && header.regionMatches(true, 0, SESSION, 0, SESSION.length()) ? header.substring(SESSION.length()).strip() : null;
    }

    /** The token of the request's Authorization: Bearer header. */
    static String bearerToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw SwarmException.unauthenticated("missing bearer token: send Authorization: Bearer <agent or operator token>");
        }
        return header.substring(BEARER.length()).strip();
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
