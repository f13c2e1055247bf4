package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** The pre-commit guard, with real git repositories and real commits. */
class GuardTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path repo;
    private String tokenOfA;

    private record Result(int exitCode, String out, String err) {
    }

    private Result swarm(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> withRoot = new HashMap<>(environment);
        withRoot.put("SWARM_ROOT", repo.toString());
        int code = Swarm.run(args, withRoot, repo, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private Result run(Map<String, String> environment, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(repo.toFile());
        builder.environment().remove("SWARM_AGENT");
        builder.environment().remove("SWARM_GUARD");
        builder.environment().putAll(environment);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.waitFor(), out, err);
    }

    private Result commit(Map<String, String> environment, String file) throws IOException, InterruptedException {
        Path path = repo.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, "change " + System.nanoTime() + "\n");
        assertThat(run(Map.of(), "git", "add", file).exitCode()).isZero();
        return run(environment, "git", "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "touch " + file);
    }

    @BeforeEach
    void repositoryWithALease() throws Exception {
        assertThat(run(Map.of(), "git", "init", "-q").exitCode()).isZero();
        String registered = swarm(Map.of(), "agent", "register", "--id", "A", "--json").out();
        tokenOfA = JSON.readTree(registered).get("token").asString();
        Result acquired = swarm(Map.of("SWARM_AGENT", "A", "SWARM_TOKEN", tokenOfA), "lock", "acquire", "src/*.py", "--reason", "refactor");
        assertThat(acquired.exitCode()).as(acquired.err()).isZero();
        Result installed = swarm(Map.of(), "guard", "install");
        assertThat(installed.exitCode()).as(installed.err()).isZero();
        assertThat(swarm(Map.of(), "guard", "status").out()).contains("installed at");
    }

    @Test
    void commitTouchingAnotherAgentsLeasedFileIsRefusedNamingPathAndHolder() throws Exception {
        Result refused = commit(Map.of("SWARM_AGENT", "B"), "src/a.py");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("src/a.py", "held by A", "src/*.py");
        assertThat(run(Map.of(), "git", "log", "--oneline").out()).isEmpty();
    }

    @Test
    void theHolderMayCommitAndUnleasedFilesPass() throws Exception {
        assertThat(commit(Map.of("SWARM_AGENT", "A", "SWARM_TOKEN", tokenOfA), "src/a.py").exitCode()).isZero();
        assertThat(commit(Map.of("SWARM_AGENT", "B"), "docs/readme.md").exitCode()).isZero();
    }

    @Test
    void namingTheHolderWithoutItsTokenDoesNotMakeACommitTheHolders() throws Exception {
        for (Map<String, String> claim : List.of(Map.of("SWARM_AGENT", "A"), Map.of("SWARM_AGENT", "A", "SWARM_TOKEN", "forged"))) {
            Result refused = commit(claim, "src/a.py");
            assertThat(refused.exitCode()).as(claim.toString()).isNotZero();
            assertThat(refused.err()).contains("held by A", "SWARM_AGENT=A without its valid SWARM_TOKEN");
        }
        assertThat(run(Map.of(), "git", "log", "--oneline").out()).isEmpty();
    }

    @Test
    void withoutAnAgentEveryExclusiveLeaseCounts() throws Exception {
        Result refused = commit(Map.of(), "src/b.py");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("no SWARM_AGENT set");
    }

    @Test
    void warnModeCommitsWithAWarning() throws Exception {
        Result warned = commit(Map.of("SWARM_AGENT", "B", "SWARM_GUARD", "warn"), "src/c.py");
        assertThat(warned.exitCode()).isZero();
        assertThat(warned.err()).contains("advisory", "held by A");
    }

    @Test
    void anUnreadableStoreRefusesTheCommitUnlessWarned() throws Exception {
        Path database = repo.resolve(".swarm/swarm.db");
        Files.delete(database);
        Files.createDirectory(database); // a directory where the database should be: cannot be opened
        Result refused = commit(Map.of("SWARM_AGENT", "B"), "other/x.txt");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("refuses the commit");
        assertThat(commit(Map.of("SWARM_AGENT", "B", "SWARM_GUARD", "warn"), "other/y.txt").exitCode()).isZero();
    }

    @Test
    void anExistingHookIsChainedAndRestoredOnUninstall() throws Exception {
        swarm(Map.of(), "guard", "uninstall");
        Path hook = repo.resolve(".git/hooks/pre-commit");
        Files.writeString(hook, "#!/bin/sh\necho ran >> \"$(git rev-parse --show-toplevel)/.git/chained-ran\"\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(swarm(Map.of(), "guard", "install").exitCode()).isZero();

        assertThat(commit(Map.of("SWARM_AGENT", "B"), "src/d.py").exitCode()).isNotZero();
        assertThat(run(Map.of(), "git", "reset", "-q").exitCode()).isZero(); // unstage the refused file
        assertThat(commit(Map.of("SWARM_AGENT", "B"), "free.txt").exitCode()).isZero();
        assertThat(Files.readAllLines(repo.resolve(".git/chained-ran"))).isEqualTo(List.of("ran", "ran"));

        assertThat(swarm(Map.of(), "guard", "uninstall").exitCode()).isZero();
        assertThat(Files.readString(hook)).contains("chained-ran").doesNotContain("swarm guard");
        assertThat(swarm(Map.of(), "guard", "status").out()).contains("another pre-commit hook");
    }
}
