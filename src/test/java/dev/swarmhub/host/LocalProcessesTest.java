package dev.swarmhub.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** A process's start time as the JDK reports it, read again cheaply while the process lives, and no more once it ended. */
class LocalProcessesTest {

    private final LocalProcesses processes = new LocalProcesses();

    @Test
    void aProcessSeenBeforeKeepsItsStartTimeUntilItEnds() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try {
            long expected = sleeper.toHandle().info().startInstant().orElseThrow().toEpochMilli();
            assertThat(processes.startedAt(sleeper.pid())).isEqualTo(OptionalLong.of(expected));
            assertThat(processes.startedAt(sleeper.pid())).as("seen before").isEqualTo(OptionalLong.of(expected));
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        assertThat(processes.startedAt(sleeper.pid())).as("ended and reaped").isEmpty();
        assertThat(processes.startedAt(ProcessHandle.current().pid())).as("this very process")
                .isEqualTo(OptionalLong.of(ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli()));
    }
}
