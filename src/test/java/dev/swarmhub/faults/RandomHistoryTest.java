package dev.swarmhub.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.faults.CheckResult.Verdict;
import dev.swarmhub.faults.Violation.Kind;
import org.junit.jupiter.api.Test;

/**
 * Histories of a correct lease service simulated with many clients, expiry, slow requests and
 * unknown outcomes (seeded): the checker must find nothing; the same run with one grant given
 * while the resource was held must be found.
 */
class RandomHistoryTest {

    private static final int CLIENTS = 10;
    private static final int RESOURCES = 3;
    private static final int OPERATIONS = 4000;

    @Test
    void aCorrectServicesHistoriesPass() {
        for (long seed = 1; seed <= 2; seed++) {
            LockSimulation.Run run = LockSimulation.run(seed, CLIENTS, RESOURCES, OPERATIONS, false);

            CheckResult result = HistoryChecker.check(run.history());

            assertThat(result.violations()).as("seed %d", seed).isEmpty();
            assertThat(result.verdict()).as("seed %d", seed).isEqualTo(Verdict.VALID);
            assertThat(run.history().operations()).hasSize(OPERATIONS);
            assertThat(run.history().operations()).filteredOn(History.Operation::unknown).hasSizeGreaterThan(OPERATIONS / 40);
        }
    }

    @Test
    void oneGrantWhileHeldIsFound() {
        LockSimulation.Run run = LockSimulation.run(1, CLIENTS, RESOURCES, OPERATIONS, true);

        CheckResult result = HistoryChecker.check(run.history());

        assertThat(run.mutated()).isNotNull();
        assertThat(result.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(result.violations()).extracting(Violation::kind).containsAnyOf(Kind.LEASE_OVERLAP, Kind.NOT_LINEARIZABLE);
        assertThat(result.violations()).anySatisfy(violation -> assertThat(violation.events())
                .anySatisfy(event -> assertThat(event.process() + " " + event.op()).isEqualTo(run.mutated().process() + " " + run.mutated().op())));
    }
}
