package dev.swarmhub.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepTest {

    @Test
    void aFailingSweepIsReportedByNameAndTheOthersStillRun() {
        List<String> ran = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Sweep leases = new Sweep("leases", () -> ran.add("leases"));
        Sweep broken = new Sweep("broken", () -> {
            throw new IllegalStateException("store is busy");
        });
        Sweep messages = new Sweep("messages", () -> ran.add("messages"));

        Sweep.runAll(List.of(leases, broken, messages), (sweep, e) -> failures.add(sweep.name() + ": " + e.getMessage()));

        assertThat(ran).containsExactly("leases", "messages");
        assertThat(failures).containsExactly("broken: store is busy");
    }
}
