package dev.swarmhub.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.faults.HistoryBuilder.Call;
import dev.swarmhub.faults.Linearizability.Verdict;
import org.junit.jupiter.api.Test;

/**
 * The lease register's linearizability on textbook cases: concurrent operations placed in an
 * order other than their invokes', impossible grants, and operations of unknown outcome, which
 * must be allowed to take effect (late, or never). Valid histories must pass the pairwise checks too.
 */
class LinearizabilityTest {

    private static final long STORE = 1_000_000;

    @Test
    void concurrentGrantsTakeTheOrderOfTheirStoreTimes() {
        HistoryBuilder h = new HistoryBuilder();
        shared(h, "c1", 0, 100, "S1", 2, STORE + 60);
        shared(h, "c2", 0, 100, "S2", 1, STORE + 40); // invoked together, granted first: the smaller token is right

        assertValid(h);
    }

    @Test
    void aGrantAfterTheHoldersLeaseExpiredIsValidWhileItsReleaseIsConcurrent() {
        HistoryBuilder h = new HistoryBuilder();
        h.acquired("c1", 0, 100, "f1.txt", "L1", 1, STORE + 50, STORE + 50);
        h.acquired("c2", 10, 1300, "f1.txt", "L2", 2, STORE + 1100, STORE + 1100);
        h.released("c1", 200, 1250, "f1.txt", "L1", 1, false);
        h.fail(h.call("c3", "acquire", 20, "resource", "f1.txt", "mode", "exclusive", "ttl_ms", HistoryBuilder.TTL), 30, "conflict");

        assertValid(h);
    }

    @Test
    void aGrantWhileTheResourceIsHeldIsNotLinearizable() {
        HistoryBuilder h = new HistoryBuilder();
        h.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        h.acquired("c2", 20, 30, "f1.txt", "L2", 2, STORE + 25, STORE + 25);

        assertThat(verdict(h)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void anExclusiveGrantBesideASharedLeaseIsNotLinearizableButTwoSharedOnesAre() {
        HistoryBuilder shared = new HistoryBuilder();
        shared(shared, "c1", 0, 10, "S1", 1, STORE + 5);
        shared(shared, "c2", 20, 30, "S2", 2, STORE + 25);
        HistoryBuilder mixed = new HistoryBuilder();
        shared(mixed, "c1", 0, 10, "S1", 1, STORE + 5);
        mixed.acquired("c2", 20, 30, "f1.txt", "L2", 2, STORE + 25, STORE + 25);

        assertValid(shared);
        assertThat(verdict(mixed)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aReleaseOfUnknownOutcomeMayHaveFreedTheResource() {
        HistoryBuilder h = new HistoryBuilder();
        h.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        h.call("c1", "release", 20, "resource", "f1.txt", "lease", "L1", "token", 1); // the client died: no completion
        h.acquired("c2", 30, 40, "f1.txt", "L2", 2, STORE + 35, STORE + 35);

        assertValid(h);
    }

    @Test
    void aRenewOfUnknownOutcomeMayHaveKeptTheLeaseLive() {
        HistoryBuilder renewed = new HistoryBuilder();
        renewed.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        renewed.info(renewed.call("c1", "renew", 500, "resource", "f1.txt", "lease", "L1", "token", 1, "ttl_ms", HistoryBuilder.TTL), 510);
        renewAt(renewed, 2000, STORE + 1405);
        HistoryBuilder notRenewed = new HistoryBuilder();
        notRenewed.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        renewAt(notRenewed, 2000, STORE + 1405); // its lease expired at STORE + 1005

        assertValid(renewed);
        assertThat(verdict(notRenewed)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void anAcquireOfUnknownOutcomeMayHaveGrantedTheLeaseALaterAcquireReturns() {
        HistoryBuilder valid = new HistoryBuilder();
        valid.info(acquire(valid, "c1", 0), 10);
        valid.acquired("c1", 100, 110, "f1.txt", "L1", 1, STORE + 5, STORE + 105); // acquired at STORE + 5, by the unknown one
        valid.acquired("c2", 1200, 1210, "f1.txt", "L2", 2, STORE + 1205, STORE + 1205);
        HistoryBuilder granted = new HistoryBuilder();
        granted.info(acquire(granted, "c1", 0), 10);
        granted.acquired("c2", 50, 60, "f1.txt", "L2", 2, STORE + 55, STORE + 55); // while c1 held it since STORE + 5
        granted.acquired("c1", 100, 110, "f1.txt", "L1", 1, STORE + 5, STORE + 105);

        assertValid(valid);
        assertThat(verdict(granted)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aRenewNamesTheLeaseAnAcquireOfUnknownOutcomeGrantedAndAWriteWithItsTokenFollows() {
        HistoryBuilder valid = new HistoryBuilder();
        valid.info(acquire(valid, "c1", 0), 10); // granted by the hub, the answer lost
        renewNaming(valid, "L1", 7);
        valid.written("c1", 130, 140, "f1.txt", 7, "with the token the renew named");
        HistoryBuilder otherToken = new HistoryBuilder();
        otherToken.info(acquire(otherToken, "c1", 0), 10);
        renewNaming(otherToken, "L1", 7);
        otherToken.written("c1", 130, 140, "f1.txt", 6, "with a token no answer named");
        HistoryBuilder otherLease = new HistoryBuilder();
        otherLease.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        renewNaming(otherLease, "L2", 1); // c1's only lease is L1
        HistoryBuilder oldToken = new HistoryBuilder();
        oldToken.acquired("c2", 0, 10, "f1.txt", "L0", 5, STORE + 5, STORE + 5);
        oldToken.released("c2", 20, 30, "f1.txt", "L0", 5, false);
        oldToken.info(acquire(oldToken, "c1", 40), 50);
        renewNaming(oldToken, "L1", 3); // the unknown grant came after token 5: its token is above it

        assertValid(valid);
        assertThat(verdict(otherToken)).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(verdict(otherLease)).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(verdict(oldToken)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    private static void renewNaming(HistoryBuilder h, String lease, long token) {
        h.ok(h.call("c1", "renew", 100, "resource", "f1.txt", "lease", null, "token", null, "ttl_ms", HistoryBuilder.TTL), 110,
                "lease", lease, "token", token, "expires_at", STORE + 105 + HistoryBuilder.TTL);
    }

    @Test
    void aWriteAcceptedWithTheTokenOfAnExpiredLeaseIsNotLinearizable() {
        HistoryBuilder h = new HistoryBuilder();
        h.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        h.acquired("c2", 1100, 1110, "f1.txt", "L2", 2, STORE + 1105, STORE + 1105);
        h.written("c1", 1200, 1210, "f1.txt", 1, "late");

        assertThat(verdict(h)).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aSearchPastItsBudgetIsUnknown() {
        HistoryBuilder h = new HistoryBuilder();
        for (int client = 1; client <= 8; client++) {
            acquire(h, "c" + client, client); // eight acquires of unknown outcome: many orders to try
        }
        h.acquired("c9", 100, 110, "f1.txt", "L9", 1, STORE + 105, STORE + 105);
        h.acquired("c10", 200, 210, "f1.txt", "L10", 2, STORE + 205, STORE + 205); // impossible: makes the search try them all

        Linearizability.Result result = Linearizability.check(h.history(), 10).getFirst();

        assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(result.visited()).isGreaterThan(10);
    }

    private static Call acquire(HistoryBuilder h, String client, long atMs) {
        return h.call(client, "acquire", atMs, "resource", "f1.txt", "mode", "exclusive", "ttl_ms", HistoryBuilder.TTL);
    }

    private static void shared(HistoryBuilder h, String client, long fromMs, long toMs, String lease, long token, long storeMs) {
        Call call = h.call(client, "acquire", fromMs, "resource", "f1.txt", "mode", "shared", "ttl_ms", HistoryBuilder.TTL);
        h.ok(call, toMs, "lease", lease, "token", token, "acquired_at", storeMs, "expires_at", storeMs + HistoryBuilder.TTL);
    }

    private static void renewAt(HistoryBuilder h, long atMs, long storeMs) {
        h.ok(h.call("c1", "renew", atMs, "resource", "f1.txt", "lease", "L1", "token", 1, "ttl_ms", HistoryBuilder.TTL), atMs + 10,
                "lease", "L1", "token", 1, "expires_at", storeMs + HistoryBuilder.TTL);
    }

    private static Verdict verdict(HistoryBuilder h) {
        return Linearizability.check(h.history(), HistoryChecker.DEFAULT_BUDGET).getFirst().verdict();
    }

    /** Linearizable, and nothing else reported either (the history has no final read: its checks are skipped). */
    private static void assertValid(HistoryBuilder h) {
        assertThat(verdict(h)).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(HistoryChecker.check(h.history()).violations()).isEmpty();
    }
}
