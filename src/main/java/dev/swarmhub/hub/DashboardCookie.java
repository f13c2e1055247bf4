package dev.swarmhub.hub;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Arrays;
import java.util.List;

/**
 * The dashboard's session cookie: HttpOnly (no script reads it), SameSite=Strict, one per hub port
 * (cookies ignore ports, and each project's hub has its own port and logins).
 */
final class DashboardCookie {

    private DashboardCookie() {
    }

    static String name(HttpServletRequest request) {
        return "swarm_session_" + request.getLocalPort();
    }

    /**
     * The session tokens the request's cookies of this name hold: every one, since another page of
     * this host may set one of the name for a narrower path (sent first) to push the real one aside.
     */
    static List<String> sessions(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        String name = name(request);
        return cookies == null ? List.of() : Arrays.stream(cookies).filter(cookie -> cookie.getName().equals(name)).map(Cookie::getValue).toList();
    }

    /** Sets the cookie until the browser closes (the store ends the session itself, by its clock). */
    static void set(HttpServletRequest request, HttpServletResponse response, String session) {
        response.addHeader("Set-Cookie", name(request) + "=" + session + "; Path=/; HttpOnly; SameSite=Strict");
    }

    static void remove(HttpServletRequest request, HttpServletResponse response) {
        response.addHeader("Set-Cookie", name(request) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    }
}
