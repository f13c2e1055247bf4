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
import java.util.Optional;
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
 * <li>a renew extends by the lease's ttl unless its invoke gives {@code ttl_ms}.</li>
 * </ul>
 */
final class LeaseChecks {

    private final History history;
    private final LeaseFacts facts;
    private final Findings findings;

    private LeaseChecks(History history, Findings findings) {
        this.history = history;
        this.facts = LeaseFacts.of(history);
        this.findings = findings;
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

    private void overlaps(List<Lease> leases) {
        for (int i = 0; i < leases.size(); i++) {
            for (int j = i + 1; j < leases.size(); j++) {
                Lease a = leases.get(i);
                Lease b = leases.get(j);
                if (a.exclusive() || b.exclusive()) {
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
    private static Optional<Violation> overlap(Lease a, Lease b) {
        if (a.latestWitnessStart() > b.earliestWitnessEnd() && b.latestWitnessStart() > a.earliestWitnessEnd()) {
            return Optional.of(new Violation(Kind.LEASE_OVERLAP, List.of(a.firstOk().ref(), b.firstOk().ref(), latestWitness(a).ref(),
                    latestWitness(b).ref()), leaseText(a) + " and " + leaseText(b) + " were live at once: each was still live (" + latestWitness(a)
                    + ", " + latestWitness(b) + ") after the other had been granted"));
        }
        long aFirst = a.acquiredAt();
        long bFirst = b.acquiredAt();
        long aLast = a.extensions().stream().mapToLong(op -> LeaseFacts.storeTime(a, op)).max().orElse(aFirst);
        long bLast = b.extensions().stream().mapToLong(op -> LeaseFacts.storeTime(b, op)).max().orElse(bFirst);
        if (aFirst < bLast && bFirst < aLast) {
            return Optional.of(new Violation(Kind.LEASE_OVERLAP, List.of(a.firstOk().ref(), b.firstOk().ref()), leaseText(a)
                    + " was live from store time " + aFirst + " to " + aLast + " and " + leaseText(b) + " from " + bFirst + " to " + bLast));
        }
        return Optional.empty();
    }

    /**
     * {@code held} was certainly live when {@code granted} was granted: granted before it, not
     * released before its grant answered, and its expiry as answered before that grant later than
     * the grant's store time.
     */
    private Optional<Violation> liveAtGrant(Lease held, Lease granted) {
        long grantTime = granted.acquiredAt();
        List<Operation> before = held.extensions().stream().filter(extension -> extension.completedAt() < granted.grantInvokedAt()
                || LeaseFacts.storeTime(held, extension) < grantTime).toList();
        if (before.isEmpty()) {
            return Optional.empty();
        }
        long expiresAt = before.stream().mapToLong(extension -> extension.outputNumber("expires_at")).max().orElseThrow();
        boolean maybeReleased = history.operations("release").stream().anyMatch(release -> !release.failed()
                && release.process().equals(held.holder()) && release.input("resource").equals(held.resource())
                && release.invokedAt() < granted.firstOk().completedAt() && release.effectBy() >= held.grantInvokedAt());
        if (expiresAt <= grantTime || maybeReleased) {
            return Optional.empty();
        }
        Operation lastBefore = before.getLast();
        return Optional.of(new Violation(Kind.LEASE_OVERLAP, List.of(held.firstOk().ref(), lastBefore.ref(), granted.firstOk().ref()),
                leaseText(granted) + " was granted at store time " + grantTime + " while " + leaseText(held) + " was live: granted before, "
                        + "not released, expiring at " + expiresAt));
    }

    private static Operation latestWitness(Lease lease) {
        return lease.witnesses().stream().max(Comparator.comparingLong(Operation::invokedAt)).orElseThrow();
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
            if (own.isPresent() && own.get().extensions().stream().allMatch(acquire -> !acquire.f().equals("acquire")
                    || acquire.input("mode").equals("shared"))) {
                report(Kind.STALE_WRITE, List.of(own.get().firstOk().ref(), write.ref()), write.process() + "'s write to " + path
                        + " was accepted with token " + token + " of a shared lease");
                continue;
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
