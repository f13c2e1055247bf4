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
 * The checks every HTTP request to the hub passes first, API and MCP alike: a bearer token
 * (the operator's, or an agent's) or the dashboard's session cookie (the operator, from a page of
 * this origin only), then a Host header naming this server (against DNS rebinding from a
 * browser). Tokens never appear in URLs or logs.
 */
final class RequestGuard {

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

    /** A browser's request from another origin (another site, or another port of this host), with the dashboard's cookie. */
    static final class CrossSite extends SwarmException {
        CrossSite(String message) {
            super(Kind.UNAUTHENTICATED, message);
        }
    }

    /**
     * The caller the request's bearer token names, or the operator for a request of the dashboard's
     * page with a live session cookie. {@code checkedAgainOnAdmit}: the operation's own
     * transaction checks the token again, so a token accepted before needs no read here.
     */
    Caller authenticate(HttpServletRequest request, boolean checkedAgainOnAdmit) {
        List<String> sessions = request.getHeader("Authorization") == null ? DashboardCookie.sessions(request) : List.of();
        if (!sessions.isEmpty()) {
            checkSameOrigin(request);
            if (sessions.stream().noneMatch(logins::isSession)) {
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
        List<String> sessions = request.getHeader("Authorization") == null ? DashboardCookie.sessions(request) : List.of();
        if (!sessions.isEmpty()) {
            return () -> sessions.stream().anyMatch(logins::isSession);
        }
        String token = bearerToken(request);
        return Tokens.matches(token, operatorTokenHash) ? () -> true : () -> agents.holdsToken(token);
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

    /**
     * A cookie goes with every request to this host, whatever page made it (SameSite=Strict counts
     * every port of a host as the same site): so a request carrying it must say it comes from a
     * page of this origin. Browsers say so in Sec-Fetch-Site (every current one sends it; a request
     * without it is refused, as an old browser's could come from any page), and in Origin on every
     * request that changes something.
     */
    static void checkSameOrigin(HttpServletRequest request) {
        String fetchSite = request.getHeader("Sec-Fetch-Site");
        if (fetchSite == null) {
            throw new CrossSite("request without a Sec-Fetch-Site header refused: the dashboard's session serves its own pages,"
                    + " in a browser that says so (any current one); other clients send Authorization: Bearer <token>");
        }
        if (!fetchSite.equals("same-origin")) {
            throw new CrossSite("request from another site (Sec-Fetch-Site: " + fetchSite + ") refused: the dashboard's session serves its own pages only");
        }
        String origin = request.getHeader("Origin");
        boolean reads = request.getMethod().equals("GET") || request.getMethod().equals("HEAD");
        if (origin == null ? !reads : !origin.equals("http://" + request.getHeader("Host"))) {
            throw new CrossSite((origin == null ? "request without an Origin header" : "request from origin '" + origin + "'")
                    + " refused: the dashboard's session serves its own pages only");
        }
    }

    void checkHost(HttpServletRequest request) {
        String host = request.getHeader("Host");
        if (host == null || !servedHosts.allows(host)) {
            throw SwarmException.badInput("unexpected Host header '" + host + "': use the address the hub listens on");
        }
    }
}
