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
import java.util.Map;

/**
 * The dashboard's page at /: static files only (the page holds no data and no token; its script
 * reads the API with the session cookie), and the login: the page posts the one-time code from its
 * URL's fragment (never sent in a request line, so never logged) to /login, which answers with the
 * session cookie; /logout ends the session.
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
        RequestGuard.checkSameOrigin(request);
        byte[] code = request.getInputStream().readNBytes(MAX_CODE + 1);
        if (code.length > MAX_CODE) {
            throw SwarmException.badInput("the login code is longer than " + MAX_CODE + " bytes: use the URL 'swarm dashboard' printed");
        }
        String session = logins.exchange(new String(code, StandardCharsets.UTF_8).strip())
                .orElseThrow(() -> SwarmException.unauthenticated("this login link was used already or expired: run 'swarm dashboard' for a new one"))
                .value();
        DashboardCookie.set(request, response, session);
        response.setStatus(204);
    }

    private void logOut(HttpServletRequest request, HttpServletResponse response) {
        RequestGuard.checkSameOrigin(request);
        DashboardCookie.sessions(request).forEach(logins::end);
        DashboardCookie.remove(request, response);
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
