package dev.swarmhub.faults;

import dev.swarmhub.faults.History.EventRef;
import dev.swarmhub.faults.History.Operation;
import dev.swarmhub.faults.LeaseFacts.Lease;
import dev.swarmhub.faults.Violation.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * Leases, fencing tokens and fenced writes, judged pairwise; only what the history makes certain
 * is reported. What the reasoning rests on:
 * <ul>
 * <li>an operation takes effect once, at a moment between its invoke and its ok (an unknown one:
 * any time after its invoke); a fail never took effect;</li>
 * <li>the store's time never goes back along the commit order, and a lease is live from its grant
 * until its release or its expiry by store time, never again after: so it is live between any two
 * moments it is known live;</li>
 * <li>nothing else ends a lease early: the agent sweep releases only agents silent for
 * {@code agents.gone-after} (5 min), whose leases had expired when their ttl is shorter;</li>
 * <li>a renew's store time is known only when its invoke gives {@code ttl_ms}; a lease's ttl stays the same
 * across its acquires and renews, so a later renewal never shortens it.</li>
 * </ul>
 */
final class LeaseChecks {

    private final History history;
    private final LeaseFacts facts;
    private final Findings findings;
    /** Releases that may have happened, by holder and resource. */
    private final Map<String, List<Operation>> releases;

    private LeaseChecks(History history, Findings findings) {
        this.history = history;
        this.facts = LeaseFacts.of(history);
        this.findings = findings;
        this.releases = history.operations("release").stream().filter(release -> !release.failed())
                .collect(Collectors.groupingBy(release -> release.process() + "\u0000" + release.input("resource")));
    }

    static void check(History history, Findings findings) {
        LeaseChecks checks = new LeaseChecks(history, findings);
        checks.facts.byResource().values().forEach(leases -> {
            checks.tokens(leases);
            checks.overlaps(leases);
        });
        checks.staleWrites();
        if (history.finalState() != null) {
            checks.finalFiles();
        }
    }

    private void tokens(List<Lease> leases) {
        Map<Long, Lease> byToken = new HashMap<>();
        for (Lease lease : leases) {
            Lease same = byToken.putIfAbsent(lease.token(), lease);
            if (same != null) {
                report(Kind.TOKEN_DUPLICATE, List.of(same.firstOk().ref(), lease.firstOk().ref()), "leases " + same.id() + " (" + same.holder()
                        + ") and " + lease.id() + " (" + lease.holder() + ") on " + lease.resource() + " both have token " + lease.token());
            }
            lease.extensions().stream().filter(acquire -> acquire.f().equals("acquire") && acquire.outputNumber("token") != lease.token())
                    .findFirst().ifPresent(changed -> report(Kind.TOKEN_ORDER, List.of(lease.firstOk().ref(), changed.ref()),
                            "lease " + lease.id() + " on " + lease.resource() + " came back with token " + changed.outputNumber("token")
                                    + " after " + lease.token()));
        }
        for (Lease earlier : leases) {
            for (Lease later : leases) {
                if (earlier.token() <= later.token()) { // equal tokens of two leases are reported as duplicates
                    continue;
                }
                if (earlier.firstOk().completedAt() < later.grantInvokedAt()) {
                    report(Kind.TOKEN_ORDER, List.of(earlier.firstOk().ref(), later.firstOk().invokeRef()), "token " + later.token()
                            + " granted on " + later.resource() + " to " + later.holder() + " after " + earlier.holder() + "'s acquire with token "
                            + earlier.token() + " had returned: tokens must increase");
                } else if (earlier.acquiredAt() < later.acquiredAt()) {
                    report(Kind.TOKEN_ORDER, List.of(earlier.firstOk().ref(), later.firstOk().ref()), "token " + later.token() + " granted on "
                            + later.resource() + " at store time " + later.acquiredAt() + ", after token " + earlier.token() + " at "
                            + earlier.acquiredAt() + ": tokens must increase");
                }
            }
        }
    }

    /** An acquire or renew answered with a lease: when it was answered, its store time, the expiry it set. */
    private record Extension(Operation op, Long storeTime, long expiresAt) {
    }

    /** What the pairwise rules read of a lease, computed once. */
    private record Span(Lease lease, long earliestWitnessEnd, long latestWitnessStart, Operation latestWitness, long firstStore, long lastStore,
            long latestExpiry, List<Extension> extensions) {

        static Span of(Lease lease) {
            List<Extension> extensions = lease.extensions().stream().map(op -> new Extension(op, LeaseFacts.storeTime(op),
                    op.outputNumber("expires_at"))).toList();
            Operation latest = lease.witnesses().stream().max(Comparator.comparingLong(Operation::invokedAt)).orElseThrow();
            return new Span(lease, lease.witnesses().stream().mapToLong(Operation::completedAt).min().orElseThrow(), latest.invokedAt(), latest,
                    lease.acquiredAt(), Math.max(lease.acquiredAt(), extensions.stream().map(Extension::storeTime).filter(Objects::nonNull)
                            .mapToLong(Long::longValue).max().orElse(lease.acquiredAt())),
                    extensions.stream().mapToLong(Extension::expiresAt).max().orElseThrow(), extensions);
        }
    }

    private void overlaps(List<Lease> leases) {
        List<Span> spans = leases.stream().map(Span::of).toList();
        for (int i = 0; i < spans.size(); i++) {
            for (int j = i + 1; j < spans.size(); j++) {
                Span a = spans.get(i);
                Span b = spans.get(j);
                if (a.lease().exclusive() || b.lease().exclusive()) {
                    overlap(a, b).or(() -> liveAtGrant(a, b)).or(() -> liveAtGrant(b, a)).ifPresent(findings::violation);
                }
            }
        }
    }

    /**
     * Each lease is live from its earliest known-live moment to its latest: when each one's latest
     * witness starts after the other's earliest witness ended, both spans hold a common moment.
     * The same by store time: grants and renewals give exact moments.
     */
    private static Optional<Violation> overlap(Span a, Span b) {
        if (a.latestWitnessStart() > b.earliestWitnessEnd() && b.latestWitnessStart() > a.earliestWitnessEnd()) {
            return Optional.of(new Violation(Kind.LEASE_OVERLAP, List.of(a.lease().firstOk().ref(), b.lease().firstOk().ref(),
                    a.latestWitness().ref(), b.latestWitness().ref()), leaseText(a.lease()) + " and " + leaseText(b.lease())
                    + " were live at once: each was still live (" + a.latestWitness() + ", " + b.latestWitness()
                    + ") after the other had been granted"));
        }
        if (a.firstStore() < b.lastStore() && b.firstStore() < a.lastStore()) {
            return Optional.of(new Violation(Kind.LEASE_OVERLAP, List.of(a.lease().firstOk().ref(), b.lease().firstOk().ref()),
                    leaseText(a.lease()) + " was live from store time " + a.firstStore() + " to " + a.lastStore() + " and " + leaseText(b.lease())
                            + " from " + b.firstStore() + " to " + b.lastStore()));
        }
        return Optional.empty();
    }

    /**
     * {@code held} was certainly live when {@code granted} was granted: granted before it, not
     * released before its grant answered, and its expiry as answered before that grant later than
     * the grant's store time.
     */
    private Optional<Violation> liveAtGrant(Span heldSpan, Span grantedSpan) {
        Lease held = heldSpan.lease();
        Lease granted = grantedSpan.lease();
        long grantTime = granted.acquiredAt();
        if (grantTime >= heldSpan.latestExpiry()) {
            return Optional.empty(); // expired by then, whatever came before
        }
        List<Extension> before = heldSpan.extensions().stream().filter(extension -> extension.op().completedAt() < granted.grantInvokedAt()
                || extension.storeTime() != null && extension.storeTime() < grantTime).toList();
        if (before.isEmpty()) {
            return Optional.empty();
        }
        long expiresAt = before.stream().mapToLong(Extension::expiresAt).max().orElseThrow();
        if (expiresAt <= grantTime) {
            return Optional.empty();
        }
        boolean maybeReleased = releases.getOrDefault(held.holder() + "\u0000" + held.resource(), List.of()).stream()
                .anyMatch(release -> release.invokedAt() < granted.firstOk().completedAt() && release.effectBy() >= held.grantInvokedAt());
        if (maybeReleased) {
            return Optional.empty();
        }
        return Optional.of(new Violation(Kind.LEASE_OVERLAP, List.of(held.firstOk().ref(), before.getLast().op().ref(), granted.firstOk().ref()),
                leaseText(granted) + " was granted at store time " + grantTime + " while " + leaseText(held) + " was live: granted before, "
                        + "not released, expiring at " + expiresAt));
    }

    private static String leaseText(Lease lease) {
        return lease.holder() + "'s " + (lease.exclusive() ? "exclusive" : "shared") + " lease " + lease.id() + " on " + lease.resource()
                + " (token " + lease.token() + ")";
    }

    /** A write accepted with a token that cannot have been the writer's live exclusive lease then. */
    private void staleWrites() {
        for (Operation write : history.operations("write")) {
            if (!write.ok()) {
                continue;
            }
            String path = write.input("path");
            long token = write.inputNumber("token");
            Optional<Lease> own = facts.withToken(path, token);
            if (own.isPresent() && !own.get().holder().equals(write.process())) {
                report(Kind.STALE_WRITE, List.of(own.get().firstOk().ref(), write.ref()), write.process() + "'s write to " + path
                        + " was accepted with token " + token + ", which is " + own.get().holder() + "'s lease");
                continue;
            }
            if (own.isEmpty() || !own.get().exclusive()) {
                continue; // a lease shared at times may have let a newer one be granted beside it
            }
            facts.byResource().getOrDefault(path, List.of()).stream()
                    .filter(newer -> newer.token() > token && newer.firstOk().completedAt() < write.invokedAt())
                    .min(Comparator.comparingLong(Lease::token))
                    .ifPresent(newer -> report(Kind.STALE_WRITE, List.of(newer.firstOk().ref(), write.ref()), write.process() + "'s write to "
                            + path + " was accepted with token " + token + " although token " + newer.token() + " (" + newer.holder()
                            + ") had been granted before the write was sent"));
        }
    }

    /**
     * A file's final content is that of a write no acknowledged write certainly followed: the last
     * acknowledged ones, or one of unknown outcome that may have landed after them.
     */
    private void finalFiles() {
        Map<String, List<Operation>> writes = new HashMap<>();
        history.operations("write").forEach(write -> writes.computeIfAbsent(write.input("path"), path -> new ArrayList<>()).add(write));
        writes.forEach((path, pathWrites) -> {
            List<Operation> acknowledged = pathWrites.stream().filter(Operation::ok).toList();
            if (acknowledged.isEmpty()) {
                return; // the file's content before the run is not in the history
            }
            List<Operation> mayBeLast = pathWrites.stream().filter(write -> !write.failed()
                    && acknowledged.stream().noneMatch(later -> later != write && write.precedes(later))).toList();
            JsonNode files = history.finalState().path("files");
            if (!files.has(path)) {
                findings.note("the final read does not give " + path + ": its writes were not compared with its content");
                return;
            }
            JsonNode content = files.get(path);
            String finalContent = content.isString() ? content.asString() : null;
            if (mayBeLast.stream().anyMatch(write -> write.input("content").equals(finalContent))) {
                return;
            }
            Optional<Operation> source = pathWrites.stream().filter(write -> write.input("content").equals(finalContent)).findFirst();
            List<EventRef> refs = Stream.concat(mayBeLast.stream().filter(Operation::ok), source.stream()).map(Operation::ref).toList();
            report(Kind.LOST_WRITE, refs, path + " ends " + (finalContent == null ? "missing" : source.map(write -> "with the content of "
                    + write + ", which " + (write.failed() ? "was refused" : "acknowledged writes followed")).orElse("with content nobody wrote"))
                    + "; the last acknowledged write was " + mayBeLast.stream().filter(Operation::ok).map(Operation::toString).toList());
        });
    }

    private void report(Kind kind, List<EventRef> events, String explanation) {
        findings.violation(kind, events, explanation);
    }
}
