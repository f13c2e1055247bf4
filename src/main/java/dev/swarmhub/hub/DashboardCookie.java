package dev.swarmhub.hub;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

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

    /** The session token the request's cookie holds, or null. */
    static String session(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return null;
        }
        String name = name(request);
        for (Cookie cookie : cookies) {
            if (cookie.getName().equals(name)) {
                return cookie.getValue();
            }
        }
        return null;
    }

    /** Sets the cookie until the browser closes (the store ends the session itself, by its clock). */
    static void set(HttpServletRequest request, HttpServletResponse response, String session) {
        response.addHeader("Set-Cookie", name(request) + "=" + session + "; Path=/; HttpOnly; SameSite=Strict");
    }

    static void remove(HttpServletRequest request, HttpServletResponse response) {
        response.addHeader("Set-Cookie", name(request) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    }
}
