package dev.swarmhub.hub;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.ResourceParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Answers to API writes sent with an Idempotency-Key. The write and its stored answer commit in
 * one transaction (the operation's own writes join it), so a retry after a timeout gets the first
 * answer and applies nothing twice. An answer is kept for {@link #KEPT} of store time; the hub's
 * timer forgets older ones, and an older one is never replayed.
 *
 * <p>A replay says so ({@code "replayed": true}) and corrects what time may have made false: the
 * leases of every answer that carries some (acquire, renew, release, leave, cleanup) come with
 * their state now (held with their current expiry, or ended and who holds the resource now), and
 * an acquire's "granted" (a renew's "held") says whether the caller still holds them all. A registration's token is kept only
 * sealed ({@link TokenSeal}) under the caller's own bearer token and the key; the replay gives back
 * that same token, and only while that registration is still the agent's current one (not gone,
 * not registered again, its token not replaced): it never issues a token, so it can never hand
 * the identity of whoever owns the id now to the replaying caller.
 */
final class IdempotentAnswers {

    static final Duration KEPT = Duration.ofHours(24);
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
    /** The stored answers that carry leases, by route: the name of their list of leases. */
    private static final Map<String, String> LEASE_LISTS = Map.of("POST /locks", "leases", "POST /locks/renew", "renewed",
            "POST /locks/release", "released", "POST /locks/release-agent", "released", "POST /agents/leave", "released",
            "POST /locks/cleanup", "expired");

    private final Services services;
    private final ResourceParser parser;

    IdempotentAnswers(Services services, ResourceParser parser) {
        this.services = services;
        this.parser = parser;
    }

    /** The hub runs {@link #forgetExpired} every second. */
    static Sweep housekeeping(Store store) {
        return new Sweep("expired idempotent answers", () -> forgetExpired(store));
    }

    /** Forgets the answers stored longer ago than {@link #KEPT}; returns how many. */
    static int forgetExpired(Store store) {
        return store.write(tx -> tx.forgetAnswersStoredBefore(tx.now() - KEPT.toMillis()));
    }

    /** The route whose answer holds a new agent token. */
    private static final String REGISTRATION = "POST /agents";

    /** Runs the write once per caller and key; {@code bearer}: the caller's token as sent, which seals a registration's token. */
    Api.Answer answer(String key, Caller caller, String bearer, String route, String body, Supplier<Api.Answer> write) {
        if (!KEY.matcher(key).matches()) {
            throw SwarmException.badInput("bad Idempotency-Key: use 1-128 letters, digits and _ . : -");
        }
        String who = caller.operator() ? "operator" : caller.agent();
        String fingerprint = route + " " + digest(body); // kept for a day: a fenced write's body may be megabytes
        return services.store.write(tx -> {
            services.agents.admit(tx, caller); // a remembered token must still be valid before an earlier answer is given
            Optional<Tx.StoredAnswer> earlier = tx.storedAnswer(who, key, tx.now() - KEPT.toMillis());
            if (earlier.isPresent()) {
                if (!earlier.get().request().equals(fingerprint)) {
                    throw SwarmException.badInput("Idempotency-Key " + key + " was used for a different request");
                }
                return replay(tx, key, bearer, route, earlier.get());
            }
            Api.Answer answer = write.get();
            Object stored = answer.document();
            if (stored instanceof JsonViews.RegisteredAgentView registered && registered.token() != null) {
                stored = new JsonViews.RegisteredAgentView(registered.agent(), TokenSeal.seal(registered.token(), bearer, key));
            }
            tx.storeAnswer(who, key, new Tx.StoredAnswer(fingerprint, answer.status(), JsonViews.json(stored)));
            return answer;
        });
    }

    /** The body's SHA-256, in hex. */
    private static String digest(String body) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private Api.Answer replay(Tx tx, String key, String bearer, String route, Tx.StoredAnswer earlier) {
        Map<String, Object> document = Api.document(earlier.body());
        if (route.equals(REGISTRATION) && document.containsKey("token")) { // other answers may carry a "token" of their own (a task's claim)
            document.put("token", currentRegistrationToken(tx, key, bearer, (String) document.get("id"), document.get("token")));
        }
        String leaseList = LEASE_LISTS.get(route);
        if (leaseList != null && document.get(leaseList) instanceof List<?> leases) {
            List<Object> now = new ArrayList<>();
            for (Object lease : leases) {
                now.add(leaseNow(tx, (Map<?, ?>) lease));
            }
            document.put(leaseList, now);
            boolean allHeld = now.stream().allMatch(lease -> lease instanceof HeldLease);
            switch (route) {
                case "POST /locks" -> document.put("granted", allHeld);
                case "POST /locks/renew" -> document.put("held", allHeld);
                default -> { // released or expired leases: each one's state ("ended") and who holds its resource now say it all
                }
            }
        }
        document.put("replayed", true);
        return new Api.Answer(earlier.status(), document);
    }

    /** The token the first answer gave, while that registration is still the agent's current one. */
    private static String currentRegistrationToken(Tx tx, String key, String bearer, String id, Object sealed) {
        Optional<String> token = TokenSeal.open(sealed, bearer, key)
                .filter(first -> AgentStore.in(tx).agent(id).filter(agent -> agent.status() != Agent.Status.GONE).isPresent())
                .filter(first -> AgentStore.in(tx).agentWithTokenHash(Tokens.hash(first)).filter(id::equals).isPresent());
        return token.orElseThrow(() -> SwarmException.denied("Idempotency-Key " + key + " answered the registration of agent " + id
                + ", which is no longer its current one (it is gone, was registered again, or its token was replaced): "
                + "that answer's token is not given again, and no other; register with a new Idempotency-Key"));
    }

    /** A lease of a replayed answer that is still held: as it is now, with "state": "held". */
    private record HeldLease(@JsonUnwrapped JsonViews.LeaseView lease, String state) {
    }

    /** A lease of the first answer as it is now: held (with its current expiry), or ended and who holds the resource now. */
    private Object leaseNow(Tx tx, Map<?, ?> first) {
        Resource resource = parser.parse((String) first.get("resource"));
        long id = ((Number) first.get("id")).longValue();
        Optional<Lease> same = LeaseStore.in(tx).leaseOf((String) first.get("agent"), resource).filter(lease -> lease.id() == id && lease.liveAt(tx.now()));
        if (same.isPresent()) {
            return new HeldLease(JsonViews.lease(same.get()), "held");
        }
        Map<String, Object> ended = new LinkedHashMap<>();
        first.forEach((name, value) -> ended.put((String) name, value));
        ended.put("state", "ended");
        ended.put("heldNowBy", Leases.holdersNow(tx, resource));
        return ended;
    }
}
