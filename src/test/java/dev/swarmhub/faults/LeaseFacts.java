package dev.swarmhub.faults;

import dev.swarmhub.faults.History.Operation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * What the history says about each lease (by id): who got it on which resource, its token, when it
 * was granted, and the answered operations that prove it live at their moment (witnesses: an
 * acquire or renew answered with it, a release answered {@code had_expired: false}, a fenced write
 * accepted with its token).
 *
 * <p>Renews and releases name their lease through the ok value's {@code "lease"} when the runner
 * records it (an extension of the format); otherwise through the invoke's {@code "lease"}, trusted
 * only while the holder had no acquire of unknown outcome on the resource since that lease was first
 * answered (such an acquire may have given it another lease, which the hub would have renewed).
 */
final class LeaseFacts {

    /**
     * One lease. {@code exclusive}: every acquire that may have set its mode asked for exclusive;
     * {@code grantInvokedAt}: the earliest invoke of an acquire that may have granted it (an unknown one may have).
     */
    record Lease(String id, String resource, String holder, long token, long acquiredAt, long ttlMs, boolean exclusive,
            Operation firstOk, long grantInvokedAt, List<Operation> extensions, List<Operation> witnesses) {
    }

    private final Map<String, Lease> byId;
    private final Map<String, List<Lease>> byResource;
    /** Each holder's acquires on each resource, in order ({@link #holderKey}). */
    private final Map<String, List<Operation>> acquires;

    private LeaseFacts(Map<String, List<Operation>> acquires, Map<String, Lease> byId) {
        this.acquires = acquires;
        this.byId = byId;
        this.byResource = byId.values().stream().collect(Collectors.groupingBy(Lease::resource, LinkedHashMap::new, Collectors.toList()));
    }

    static LeaseFacts of(History history) {
        Map<String, List<Operation>> acquires = history.operations("acquire").stream().collect(Collectors.groupingBy(
                acquire -> holderKey(acquire.process(), acquire.input("resource")), LinkedHashMap::new, Collectors.toList()));
        Map<String, List<Operation>> grants = new LinkedHashMap<>();
        history.operations("acquire").stream().filter(Operation::ok).sorted(Comparator.comparingLong(Operation::completedAt))
                .forEach(acquire -> grants.computeIfAbsent(acquire.output("lease"), id -> new ArrayList<>()).add(acquire));
        Map<String, Lease> byId = new LinkedHashMap<>();
        grants.forEach((id, answered) -> {
            Operation first = answered.getFirst();
            List<Operation> holderAcquires = acquires.get(holderKey(first.process(), first.input("resource")));
            long grantInvokedAt = grantInvokedAt(holderAcquires, first);
            byId.put(id, new Lease(id, first.input("resource"), first.process(), first.outputNumber("token"),
                    first.outputNumber("acquired_at"), first.inputNumber("ttl_ms"),
                    alwaysExclusive(holderAcquires, grantInvokedAt, nextLeaseAnswered(holderAcquires, first)), first, grantInvokedAt,
                    new ArrayList<>(answered), new ArrayList<>(answered)));
        });
        LeaseFacts facts = new LeaseFacts(acquires, byId);
        for (Operation renew : history.operations("renew")) {
            if (renew.ok()) {
                facts.leaseOf(renew).ifPresent(lease -> {
                    lease.extensions().add(renew);
                    lease.witnesses().add(renew);
                });
            }
        }
        for (Operation release : history.operations("release")) {
            if (release.ok() && Boolean.TRUE.equals(releasedLive(release))) {
                facts.leaseOf(release).ifPresent(lease -> lease.witnesses().add(release));
            }
        }
        for (Operation write : history.operations("write")) {
            if (write.ok()) {
                facts.withToken(write.input("path"), write.inputNumber("token")).ifPresent(lease -> lease.witnesses().add(write));
            }
        }
        byId.values().forEach(lease -> lease.witnesses().sort(Comparator.comparingLong(Operation::invokedAt)));
        return facts;
    }

    /**
     * The holder's acquires on the resource that may have granted the lease first answered by
     * {@code first}: it, and the acquires of unknown outcome before it back to the holder's previous
     * answered acquire of another lease there.
     */
    private static long grantInvokedAt(List<Operation> holderAcquires, Operation first) {
        long earliest = first.invokedAt();
        for (Operation acquire : holderAcquires.subList(0, holderAcquires.indexOf(first)).reversed()) {
            if (acquire.ok()) {
                break;
            }
            if (acquire.unknown()) {
                earliest = acquire.invokedAt();
            }
        }
        return earliest;
    }

    /**
     * Whether the lease was exclusive all its life: a re-acquire changes a lease's mode, so every
     * acquire of its holder there that may have taken effect while it lived asked for exclusive.
     */
    private static boolean alwaysExclusive(List<Operation> holderAcquires, long grantInvokedAt, long endedBy) {
        return holderAcquires.stream().filter(acquire -> !acquire.failed() && acquire.invokedAt() <= endedBy
                && acquire.effectBy() >= grantInvokedAt).allMatch(acquire -> acquire.input("mode").equals("exclusive"));
    }

    /** When the holder's next lease on the resource was answered (this one had ended by then), or never. */
    private static long nextLeaseAnswered(List<Operation> holderAcquires, Operation first) {
        return holderAcquires.stream().filter(acquire -> acquire.ok() && acquire.completedAt() > first.completedAt()
                && !acquire.output("lease").equals(first.output("lease"))).mapToLong(Operation::completedAt).min().orElse(History.NEVER);
    }

    private static String holderKey(String process, String resource) {
        return process + "\u0000" + resource;
    }

    Iterable<Lease> leases() {
        return byId.values();
    }

    Map<String, List<Lease>> byResource() {
        return byResource;
    }

    Optional<Lease> withToken(String resource, long token) {
        return byResource.getOrDefault(resource, List.of()).stream().filter(lease -> lease.token() == token).findFirst();
    }

    /** The lease a renew or release acted on, when the history says so for certain. */
    Optional<Lease> leaseOf(Operation renewOrRelease) {
        if (renewOrRelease.output().hasNonNull("lease")) {
            return Optional.ofNullable(byId.get(renewOrRelease.output("lease")));
        }
        if (!renewOrRelease.input().hasNonNull("lease")) {
            return Optional.empty();
        }
        Lease named = byId.get(renewOrRelease.input("lease"));
        if (named == null || !named.holder().equals(renewOrRelease.process()) || !named.resource().equals(renewOrRelease.input("resource"))) {
            return Optional.empty();
        }
        boolean maybeAnother = acquires.get(holderKey(named.holder(), named.resource())).stream().anyMatch(acquire -> acquire.unknown()
                && acquire.invokedAt() >= named.firstOk().invokedAt() && acquire.invokedAt() <= renewOrRelease.completedAt());
        return maybeAnother ? Optional.empty() : Optional.of(named);
    }

    /**
     * What a release answered ok says of the lease it ended: true live, false expired; null when it
     * ended none ({@code "released": 0} or {@code "lease": null}: the caller held nothing there) or does not say.
     */
    static Boolean releasedLive(Operation release) {
        JsonNode answer = release.output();
        if (!answer.path("had_expired").isBoolean() || answer.path("released").asLong(1) == 0 || answer.has("lease") && answer.get("lease").isNull()) {
            return null;
        }
        return !answer.get("had_expired").asBoolean();
    }

    /**
     * The store time an acquire or renew answered with a lease took effect: its new expiry minus its
     * ttl; null for a renew whose invoke does not give {@code ttl_ms} (the hub's default applied).
     */
    static Long storeTime(Operation extension) {
        return extension.input().hasNonNull("ttl_ms") ? extension.outputNumber("expires_at") - extension.inputNumber("ttl_ms") : null;
    }
}
