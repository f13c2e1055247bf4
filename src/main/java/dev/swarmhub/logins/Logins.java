package dev.swarmhub.logins;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.kernel.Tx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's logins to the dashboard from a browser. The operator asks for a one-time link
 * ({@code swarm dashboard}); the browser exchanges it, once, for a session token that then lives
 * only in the browser tab. The store keeps hashes only, and judges expiry by its own clock. Every
 * login belongs to one hub (its {@code scope}: the host and the project checkout it serves), so
 * that hubs on one shared store neither accept nor end each other's logins.
 */
public final class Logins {

    /** How long a one-time link can be used. */
    public static final Setting<Duration> LINK_TTL = Setting.duration("dashboard.link-ttl", Duration.ofMinutes(2))
            .checkedBy((tx, ttl) -> atLeast("dashboard.link-ttl", ttl, Duration.ofSeconds(10)));
    /** How long a browser stays logged in (from its login; it is not extended by use). */
    public static final Setting<Duration> SESSION_TTL = Setting.duration("dashboard.session-ttl", Duration.ofHours(12))
            .checkedBy((tx, ttl) -> atLeast("dashboard.session-ttl", ttl, Duration.ofMinutes(1)));
    public static final List<Setting<?>> SETTINGS = List.of(LINK_TTL, SESSION_TTL);
    /** The event of sessions ended: by logout, by expiry, or all at once. */
    public static final String LOGOUT = "dashboard.logout";

    private final Store store;
    /** The hub whose logins these are: its host and project checkout. */
    private final String scope;
    public final Sweep housekeeping = new Sweep("expired dashboard logins", this::sweep);

    public Logins(Store store, String scope) {
        this.store = store;
        this.scope = scope;
    }

    private static void atLeast(String name, Duration value, Duration least) {
        if (value.compareTo(least) < 0) {
            throw SwarmException.badInput(name + " must be at least " + least.toSeconds() + "s: a shorter one ends a login before it can be used");
        }
    }

    /** A secret and when it stops being accepted (store-clock epoch milliseconds). */
    public record Secret(String value, long expiresAt) {
        @Override
        public String toString() { // never print the secret
            return "Secret[expiresAt=" + expiresAt + "]";
        }
    }

    /** A one-time link's code. Only the operator gets one: a session acts as the operator. */
    public Secret newLink(Caller caller) {
        if (!caller.operator()) {
            throw SwarmException.denied("only the operator opens the dashboard: run it with the operator's token (.swarm/operator.token)");
        }
        return store.write(tx -> {
            Secret link = issue(tx, LoginStore.Kind.LINK, LINK_TTL.in(tx), scope);
            tx.appendEvent("dashboard.link", Caller.OPERATOR_ID, null, Map.of("expiresAt", link.expiresAt()));
            return link;
        });
    }

    /** The session a link's code opens, once; empty when the code is unknown, used or expired. */
    public Optional<Secret> exchange(String code) {
        if (code == null || code.isEmpty()) {
            return Optional.empty();
        }
        String hash = Tokens.hash(code);
        return store.write(tx -> {
            if (!LoginStore.in(tx).take(hash, LoginStore.Kind.LINK, tx.now(), scope)) {
                return Optional.empty();
            }
            Secret session = issue(tx, LoginStore.Kind.SESSION, SESSION_TTL.in(tx), scope);
            tx.appendEvent("dashboard.login", Caller.OPERATOR_ID, null, Map.of("expiresAt", session.expiresAt()));
            return Optional.of(session);
        });
    }

    /** Whether the token is of a session that has not expired or ended. */
    public boolean isSession(String token) {
        if (token == null || token.isEmpty()) {
            return false;
        }
        String hash = Tokens.hash(token);
        return store.read(tx -> LoginStore.in(tx).holds(hash, LoginStore.Kind.SESSION, tx.now(), scope));
    }

    /** Ends the session (logging out); a token of no session changes nothing. */
    public void end(String token) {
        if (token == null || token.isEmpty()) {
            return;
        }
        String hash = Tokens.hash(token);
        store.write(tx -> {
            if (LoginStore.in(tx).take(hash, LoginStore.Kind.SESSION, tx.now(), scope)) {
                tx.appendEvent(LOGOUT, Caller.OPERATOR_ID, null, Map.of());
            }
            return null;
        });
    }

    /**
     * Ends every browser session of this hub and voids its unused links, the operator's action;
     * how many sessions ended. A hub does it as it starts: a session lives only as long as the hub that
     * opened it, so a session a page keeps sending to the port of a stopped hub (where any local
     * process may listen) is worth nothing to whoever catches it, and neither is an old link opened there.
     */
    public int endAllSessions(Caller caller, String reason) {
        if (!caller.operator()) {
            throw SwarmException.denied("only the operator ends the dashboard's sessions");
        }
        return store.write(tx -> {
            int ended = LoginStore.in(tx).deleteAll(LoginStore.Kind.SESSION, scope);
            LoginStore.in(tx).deleteAll(LoginStore.Kind.LINK, scope);
            if (ended > 0) {
                tx.appendEvent(LOGOUT, Caller.OPERATOR_ID, null, Map.of("sessions", ended, "reason", reason));
            }
            return ended;
        });
    }

    private static Secret issue(Tx tx, LoginStore.Kind kind, Duration ttl, String scope) {
        String value = Tokens.newToken();
        long expiresAt = tx.now() + ttl.toMillis();
        LoginStore.in(tx).insert(Tokens.hash(value), kind, expiresAt, scope);
        return new Secret(value, expiresAt);
    }

    /**
     * Deletes what expired; an expired session is logged as a logout, so that whoever holds
     * something open for it (an event stream) lets it go. Writes only when something expired.
     */
    private void sweep() {
        if (!store.read(tx -> LoginStore.in(tx).anyExpired(tx.now()))) {
            return;
        }
        store.write(tx -> {
            LoginStore.in(tx).deleteExpired(LoginStore.Kind.LINK, tx.now());
            int sessions = LoginStore.in(tx).deleteExpired(LoginStore.Kind.SESSION, tx.now());
            if (sessions > 0) {
                tx.appendEvent(LOGOUT, Caller.OPERATOR_ID, null, Map.of("sessions", sessions, "reason", "expired"));
            }
            return null;
        });
    }
}
