package dev.swarmhub.hub;

import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.logins.Logins;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * The dashboard's page at /: static files only (the page holds no data and no token of its own),
 * and the login: the page posts the one-time code from its URL's fragment (never sent in a request
 * line, so never logged) to /login, which answers with a session token the page keeps in its
 * origin's sessionStorage and sends as {@code Authorization: Session <token>} (see
 * {@link RequestGuard}: no cookie, which every port of the host would get); /logout ends it.
 */
final class Dashboard extends HttpServlet {

    /** The page's files: name → content type. */
    private static final Map<String, String> FILES = Map.of("/", "text/html", "/dashboard.js", "text/javascript",
            "/dashboard.css", "text/css");
    private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final int MAX_CODE = 256;

    private final RequestGuard guard;
    private final Logins logins;
    private final Map<String, byte[]> contents;

    Dashboard(RequestGuard guard, Logins logins) {
        this.guard = guard;
        this.logins = logins;
        this.contents = Map.of("/", resource("index.html"), "/dashboard.js", resource("dashboard.js"), "/dashboard.css", resource("dashboard.css"));
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Content-Security-Policy", POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cache-Control", "no-store");
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        try {
            guard.checkHost(request);
            switch (request.getMethod() + " " + path) {
                case "POST /login" -> logIn(request, response);
                case "POST /logout" -> logOut(request, response);
                default -> {
                    boolean head = request.getMethod().equals("HEAD");
                    if (!head && !request.getMethod().equals("GET") || !FILES.containsKey(path)) {
                        throw new NotFound(request.getMethod() + " " + path);
                    }
                    byte[] content = contents.get(path);
                    response.setContentType(FILES.get(path) + "; charset=utf-8");
                    response.setContentLength(content.length);
                    if (!head) {
                        response.getOutputStream().write(content);
                    }
                }
            }
        } catch (SwarmException refused) {
            Api.send(request, response, new Api.Answer(refused instanceof NotFound ? 404 : Api.status(refused), JsonViews.error(refused)));
        }
    }

    private void logIn(HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] code = request.getInputStream().readNBytes(MAX_CODE + 1);
        if (code.length > MAX_CODE) {
            throw SwarmException.badInput("the login code is longer than " + MAX_CODE + " bytes: use the URL 'swarm dashboard' printed");
        }
        Logins.Secret session = logins.exchange(new String(code, StandardCharsets.UTF_8).strip())
                .orElseThrow(() -> SwarmException.unauthenticated("this login link was used already or expired: run 'swarm dashboard' for a new one"));
        Api.send(request, response, new Api.Answer(200, new SessionView(session.value(), Instant.ofEpochMilli(session.expiresAt()).toString())));
    }

    /** A new dashboard session: the page keeps the token in its sessionStorage. */
    record SessionView(String session, String expiresAt) {
    }

    private void logOut(HttpServletRequest request, HttpServletResponse response) {
        String session = RequestGuard.sessionToken(request);
        if (session == null) {
            throw SwarmException.unauthenticated("no session to end: send Authorization: Session <token>");
        }
        logins.end(session);
        response.setStatus(204);
    }

    private static byte[] resource(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream("dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks the dashboard's " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class NotFound extends SwarmException {
        NotFound(String route) {
            super(Kind.BAD_INPUT, "no such page: " + route + " (the dashboard is at /, the API at /api/v1)");
        }
    }
}
