package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store the CLI cannot use: commands and {@code swarm up} fail (exit non-zero) with one line saying why, no stack trace. */
class UnusableStoreTest {

    @TempDir
    Path project;

    @Test
    void aStoreANewerVersionMigratedIsRefusedByCommandsAndByUp() {
        CliRunner cli = new CliRunner(project);
        String newer = TestStores.migrateAhead(project);
        String refusal = " has schema version " + newer + ", newer than this swarm's ";

        CliRunner.Result status = cli.run("status");
        assertThat(status.exitCode()).isEqualTo(1);
        assertThat(status.err()).startsWith("swarm: the database at ").contains(refusal).endsWith(": upgrade swarm\n");

        try (HubProcess up = HubProcess.launch(project)) {
            assertThat(up.awaitExit()).isEqualTo(1);
            assertThat(up.log()).contains(refusal).doesNotContain("\tat ");
        }
        CliRunner.Result detached = cli.run("up", "--detach");
        assertThat(detached.exitCode()).isEqualTo(1);
        assertThat(detached.err()).startsWith("swarm: the hub did not start: the database at ").contains(refusal);
    }
}
