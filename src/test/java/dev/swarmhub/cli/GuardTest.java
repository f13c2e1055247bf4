package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.Worktrees;
import dev.swarmhub.testing.Await;
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
        Map<String, String> withRoot = new HashMap<>(environment);
        withRoot.put("SWARM_ROOT", repo.toString());
        return swarmIn(repo, withRoot, args);
    }

    /** As the hub runs a command a client relays: the client's environment and working directory, this JVM's process. */
    private static Result swarmIn(Path workingDirectory, Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Swarm.run(args, environment, workingDirectory, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private Result run(Map<String, String> environment, String... command) throws IOException, InterruptedException {
        return runIn(repo, environment, command);
    }

    private static Result runIn(Path directory, Map<String, String> environment, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().remove("SWARM_AGENT");
        builder.environment().remove("SWARM_GUARD");
        builder.environment().putAll(environment);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.waitFor(), out, err);
    }

    private Result commit(Map<String, String> environment, String file) throws IOException, InterruptedException {
        return commitIn(repo, environment, file);
    }

    private static Result commitIn(Path tree, Map<String, String> environment, String file) throws IOException, InterruptedException {
        Path path = tree.resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, "change " + System.nanoTime() + "\n");
        assertThat(runIn(tree, Map.of(), "git", "add", file).exitCode()).isZero();
        return runIn(tree, environment, "git", "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "touch " + file);
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
    void aCommitOfFilesWhoseLeaseTheCommitterLostIsRefusedUntilItTakesTheLeaseAgain() throws Exception {
        Map<String, String> a = Map.of("SWARM_AGENT", "A", "SWARM_TOKEN", tokenOfA);
        Result forced = swarm(Map.of("SWARM_TOKEN", dev.swarmhub.host.OperatorToken.readOrCreate(repo)), "lock", "release-agent", "A",
                "--resource", "src/*.py", "--reason", "stuck");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        Result refused = commit(a, "src/a.py");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("you lost the lease your edit was made under: src/a.py: your lease on src/*.py (token ",
                ") was force-released at ", "take the lease again");
        Result warned = commit(Map.of("SWARM_AGENT", "A", "SWARM_TOKEN", tokenOfA, "SWARM_GUARD", "warn"), "src/a.py");
        assertThat(warned.exitCode()).isZero();
        assertThat(warned.err()).contains("advisory", "you lost the lease");

        // a lease that expired by the store's clock: the same, until taken again
        assertThat(swarm(a, "lock", "acquire", "lib/x.py", "--ttl", "1s").exitCode()).isZero();
        Await.until("A's lease on lib/x.py to expire", () -> swarm(a, "lock", "list", "--mine").out().lines().noneMatch(line -> line.contains("lib/x.py")));
        Result expired = commit(a, "lib/x.py");
        assertThat(expired.exitCode()).isNotZero();
        assertThat(expired.err()).contains("lib/x.py: your lease on lib/x.py (token ", ") expired at ");
        assertThat(swarm(a, "lock", "acquire", "lib/x.py").exitCode()).isZero();
        assertThat(commit(a, "lib/x.py").exitCode()).as("held again").isZero();
        assertThat(commit(Map.of("SWARM_AGENT", "B"), "src/b.py").exitCode()).as("another agent's commit: not A's loss").isZero();
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

    // ---------------------------------------------------------------- what is committed, where

    /** An agent's worktree, from a first commit. */
    private Path worktree() throws Exception {
        assertThat(commit(Map.of("SWARM_AGENT", "B"), "README.md").exitCode()).isZero();
        return new Worktrees(repo).create("agent-b");
    }

    @Test
    void aCommitInAnAgentsWorktreeIsRefusedAsInTheMainTree() throws Exception {
        Path tree = worktree();

        Result refused = commitIn(tree, Map.of("SWARM_AGENT", "B"), "src/a.py");

        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("src/a.py", "held by A", "src/*.py").doesNotContain(".swarm/worktrees");
        assertThat(runIn(tree, Map.of(), "git", "log", "--format=%s").out().strip()).isEqualTo("touch README.md");
        assertThat(commitIn(tree, Map.of("SWARM_AGENT", "A", "SWARM_TOKEN", tokenOfA), "src/a.py").exitCode()).isZero();
        assertThat(tree.resolve(".swarm")).as("the project's store, not one of the worktree's own").doesNotExist();
    }

    /**
     * {@code commit -a} and {@code commit FILE} stage into another index, named to the hook by
     * GIT_INDEX_FILE: relayed to the hub, the check runs in the hub's process and must read that one.
     */
    @Test
    void theCheckReadsTheIndexTheHookNamesInTheTreeItRunsIn() throws Exception {
        Path tree = worktree();
        Path nextIndex = Path.of(runIn(tree, Map.of(), "git", "rev-parse", "--absolute-git-dir").out().strip(), "next-index");
        Files.writeString(Files.createDirectories(tree.resolve("src")).resolve("a.py"), "new\n", StandardCharsets.UTF_8);
        Map<String, String> committing = Map.of("GIT_INDEX_FILE", nextIndex.toString());
        assertThat(runIn(tree, committing, "git", "read-tree", "HEAD").exitCode()).isZero();
        assertThat(runIn(tree, committing, "git", "add", "src/a.py").exitCode()).isZero();

        assertThat(swarmIn(tree, Map.of("SWARM_AGENT", "B"), "guard", "check").exitCode()).as("its own index: nothing staged").isZero();
        Result refused = swarmIn(tree, Map.of("SWARM_AGENT", "B", "GIT_INDEX_FILE", nextIndex.toString()), "guard", "check");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("src/a.py", "held by A");

        // in the main tree git names the index relative to the hook's directory
        Files.writeString(Files.createDirectories(repo.resolve("src")).resolve("b.py"), "new\n", StandardCharsets.UTF_8);
        Map<String, String> relative = Map.of("GIT_INDEX_FILE", ".git/next-index");
        assertThat(runIn(repo, relative, "git", "read-tree", "HEAD").exitCode()).isZero();
        assertThat(runIn(repo, relative, "git", "add", "src/b.py").exitCode()).isZero();
        assertThat(swarmIn(repo, Map.of("SWARM_AGENT", "B", "GIT_INDEX_FILE", ".git/next-index"), "guard", "check").err()).contains("src/b.py");
    }
}
