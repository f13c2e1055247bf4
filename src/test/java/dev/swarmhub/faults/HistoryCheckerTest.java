package dev.swarmhub.faults;

import static dev.swarmhub.faults.HistoryBuilder.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.faults.CheckResult.Verdict;
import dev.swarmhub.faults.HistoryBuilder.Call;
import dev.swarmhub.faults.Violation.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One small hand-written history that touches every check and passes, and for every violation
 * kind the same history with one violation planted, which must be reported with that kind.
 */
class HistoryCheckerTest {

    /** Store time (ms) = this + the history's time (ms): the store's clock runs with the run's. */
    private static final long STORE = 1_000_000;

    @Test
    void theHandWrittenHistoryIsValid() {
        CheckResult result = HistoryChecker.check(history(null));

        assertThat(result.violations()).isEmpty();
        assertThat(result.notes()).isEmpty();
        assertThat(result.linearizability()).singleElement().satisfies(resource -> {
            assertThat(resource.resource()).isEqualTo("f1.txt");
            assertThat(resource.verdict()).isEqualTo(Linearizability.Verdict.LINEARIZABLE);
        });
        assertThat(result.verdict()).isEqualTo(Verdict.VALID);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aPlantedViolationIsReportedWithItsKind(Kind planted) {
        CheckResult result = HistoryChecker.check(history(planted));

        assertThat(result.violations()).extracting(Violation::kind).contains(planted);
        assertThat(result.violations()).filteredOn(violation -> violation.kind() == planted)
                .allSatisfy(violation -> assertThat(violation.events()).isNotEmpty());
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void anAckRefusedOnceTheClientIsNoLongerAdmittedIsNoConflict() {
        HistoryBuilder h = new HistoryBuilder();
        h.ok(h.call("c1", "send", 0, "to", "c2", "body", "b1"), 10, "id", "m1");
        h.ok(h.call("c2", "ack", 20, "id", "m1"), 30);
        h.fail(h.call("c2", "ack", 40, "id", "m1"), 50, "unauthenticated"); // gone after a long pause: its token refused

        assertThat(HistoryChecker.check(h.history()).violations()).isEmpty();
    }

    /**
     * c1 holds f1.txt (token 1), writes, renews and releases it; c2 then takes it (token 2), writes
     * and releases; c1 sends c2 a message, c2 reads and acks it and answers; c1 claims, works on and finishes
     * T1, c3 claims T2. {@code plant} changes one thing.
     */
    private static History history(Kind plant) {
        HistoryBuilder h = new HistoryBuilder();
        h.acquired("c1", 0, 10, "f1.txt", "L1", 1, STORE + 5, STORE + 5);
        h.written("c1", 20, 30, "f1.txt", 1, "c1-a");
        Call renew = h.call("c1", "renew", 40, "resource", "f1.txt", "lease", "L1", "token", 1);
        h.ok(renew, 50, "expires_at", STORE + 45 + HistoryBuilder.TTL);
        long released = plant == Kind.LEASE_OVERLAP ? 250 : 100;
        h.released("c1", released, released + 10, "f1.txt", "L1", 1, false);
        long secondToken = switch (plant) {
            case TOKEN_ORDER -> 0;
            case TOKEN_DUPLICATE -> 1;
            case null, default -> 2;
        };
        h.acquired("c2", 200, 210, "f1.txt", "L2", secondToken, STORE + 205, STORE + 205);
        h.written("c2", 220, 230, "f1.txt", secondToken, "c2-a");
        if (plant == Kind.STALE_WRITE) {
            h.written("c1", 250, 260, "f1.txt", 1, "c1-late");
        }
        h.released("c2", 300, 310, "f1.txt", "L2", secondToken, false);

        Call send = h.call("c1", "send", 400, "to", "c2", "body", "hello-1");
        h.ok(send, 410, "id", "m1");
        Call read = h.call("c2", "read", 420);
        List<Map<String, String>> inbox = plant == Kind.PHANTOM_MESSAGE
                ? List.of(message("m1", "c1", "hello-1"), message("m9", "c3", "never-sent"))
                : List.of(message("m1", "c1", "hello-1"));
        h.ok(read, 430, "messages", inbox);
        h.ok(h.call("c2", "ack", 440, "id", "m1"), 450);
        if (plant == Kind.ACK_CONFLICT) {
            h.fail(h.call("c2", "ack", 460, "id", "m1"), 470, "denied");
        }
        h.ok(h.call("c2", "send", 480, "to", "c1", "body", "hello-2"), 490, "id", "m2"); // c2 is still admitted after any refusal

        h.ok(h.call("c1", "claim", 500), 510, "task", "T1");
        h.ok(h.call("c1", "progress", 520, "task", "T1"), 530);
        if (plant == Kind.DOUBLE_CLAIM) {
            h.ok(h.call("c3", "claim", 532), 535, "task", "T1");
        }
        h.ok(h.call("c1", "done", 540, "task", "T1"), 550);
        h.ok(h.call("c3", "claim", 560), 570, "task", "T2");
        if (plant == Kind.DOUBLE_DONE) {
            h.ok(h.call("c1", "done", 580, "task", "T1"), 590);
        }
        if (plant == Kind.NOT_LINEARIZABLE) { // renewing a lease it released
            h.ok(h.call("c2", "renew", 600, "resource", "f1.txt", "lease", "L2", "token", 2), 610, "expires_at", STORE + 605 + HistoryBuilder.TTL);
        }

        var finalMessages = json("c1", List.of(Map.of("id", "m2", "from", "c2", "body", "hello-2", "acked", false)), "c2", plant == Kind.LOST_MESSAGE ? List.of()
                : List.of(Map.of("id", "m1", "from", "c1", "body", "hello-1", "acked", true)));
        var tasks = json("T1", Map.of("status", plant == Kind.LOST_DONE ? "open" : "done", "claimed_by", "c1"),
                "T2", Map.of("status", "in_progress", "claimed_by", "c3"));
        h.finalRead(2000, json("files", Map.of("f1.txt", plant == Kind.LOST_WRITE ? "c1-a" : plant == Kind.STALE_WRITE ? "c1-late" : "c2-a"),
                "messages", finalMessages, "tasks", tasks, "leases", List.of(), "events", 40,
                "counts", Map.of("messages", plant == Kind.COUNT_MISMATCH ? 3 : 2, "tasks_done", plant == Kind.LOST_DONE ? 0 : 1)));
        return h.history();
    }

    private static Map<String, String> message(String id, String from, String body) {
        return Map.of("id", id, "from", from, "body", body);
    }
}
