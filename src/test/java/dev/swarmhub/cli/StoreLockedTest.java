package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another process (here the sqlite3 shell) holds the store's write lock for longer than the
 * store's 30 s busy timeout: a command then fails with a clear, retryable error naming the holder
 * by pid and executable only (its command line may carry a token, and the message goes to every
 * caller), exit 1 and no stack trace, and works again once the lock is gone.
 */
class StoreLockedTest {

    @TempDir
    Path project;

    @Test
    void aWriteLockHeldBeyondTheBusyTimeoutIsAClearRetryableErrorNamingTheHolder() throws Exception {
        assumeTrue(new ProcessBuilder("sqlite3", "-version").start().waitFor() == 0, "the sqlite3 shell is not installed");
        CliRunner cli = new CliRunner(project);
        cli.register("first");
        String secret = "op-token-7f3c9a1e";
        Process holder = new ProcessBuilder("sqlite3", "-nullvalue", secret, project.resolve(".swarm/swarm.db").toString())
                .redirectErrorStream(true).start();
        try (PrintWriter in = new PrintWriter(holder.getOutputStream(), true, StandardCharsets.UTF_8);
             BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            in.println("BEGIN IMMEDIATE;");
            in.println(".print holding");
            assertThat(out.readLine()).isEqualTo("holding");

            CliRunner.Result refused = cli.run("agent", "register", "--id", "second", "--json");
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.json().at("/error/code").asString()).isEqualTo("unavailable");
            assertThat(refused.err()).contains("is locked: process " + holder.pid() + " (sqlite3) ")
                    .doesNotContain(secret).contains("has held its write lock for more than 30 s; retry when it is done").doesNotContain("\tat ");

            in.println("ROLLBACK;");
        } finally {
            holder.destroy();
            holder.waitFor();
        }
        assertThat(cli.run("agent", "register", "--id", "second").exitCode()).isZero();
    }
}
