package dev.swarmhub.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents' git worktrees, with real git: removing one never loses uncommitted or unpushed work. */
class WorktreesTest {

    @TempDir
    Path project;
    private Path root;
    private Worktrees worktrees;

    @BeforeEach
    void projectWithACommitAndItsStore() throws Exception {
        root = project.toRealPath();
        git(root, "init", "-q", "-b", "main");
        write(root.resolve("src/a.py"), "print('a')\n");
        git(root, "add", "src/a.py");
        commit(root, "first");
        try (Store store = TestStores.open(root)) {
            assertThat(store).isNotNull(); // creates .swarm/ as every project has it once a command ran
        }
        worktrees = new Worktrees(root);
    }

    @Test
    void createAddsAWorktreeOnItsOwnBranchFromHeadAndTheMainTreeStaysClean() throws Exception {
        Path created = worktrees.create("agent-3");

        assertThat(created).isEqualTo(root.resolve(".swarm/worktrees/agent-3"));
        assertThat(Files.readString(created.resolve("src/a.py"))).isEqualTo("print('a')\n");
        assertThat(git(created, "rev-parse", "--abbrev-ref", "HEAD")).isEqualTo("swarm/agent-3");
        assertThat(git(created, "rev-parse", "HEAD")).isEqualTo(git(root, "rev-parse", "HEAD"));
        assertThat(worktrees.list()).containsExactly(new Worktrees.Worktree("agent-3", created, "swarm/agent-3", List.of(), 0));
        write(created.resolve("scratch.txt"), "work in progress\n");
        assertThat(git(root, "status", "--porcelain", "--untracked-files=all")).as("the main tree's status").isEmpty();
    }

    @Test
    void uncommittedChangesRefuseRemovalNamingTheFilesAndNothingIsDeleted() throws Exception {
        Path tree = worktrees.create("agent-3");
        write(tree.resolve("src/a.py"), "print('changed')\n");
        write(tree.resolve("notes/todo.txt"), "untracked\n");

        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> worktrees.remove("agent-3"));

        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(refused.getMessage()).isEqualTo(
                "worktree agent-3 has uncommitted changes: M src/a.py, ?? notes/todo.txt; commit or discard them first");
        assertThat(Files.readString(tree.resolve("src/a.py"))).isEqualTo("print('changed')\n");
        assertThat(Files.readString(tree.resolve("notes/todo.txt"))).isEqualTo("untracked\n");
        assertThat(worktrees.list()).singleElement().satisfies(w -> assertThat(w.dirty()).isTrue());
        assertThat(git(root, "branch", "--list", "swarm/agent-3")).contains("swarm/agent-3");
    }

    @Test
    void aStagedNewFileAloneRefusesRemoval() throws Exception {
        Path tree = worktrees.create("agent-3");
        write(tree.resolve("b.py"), "staged\n");
        git(tree, "add", "b.py");

        assertThat(catchThrowableOfType(SwarmException.class, () -> worktrees.remove("agent-3")))
                .hasMessageContaining("uncommitted changes: A b.py;");
        assertThat(tree.resolve("b.py")).exists();
    }

    @Test
    void commitsOnNoOtherBranchRefuseRemovalUntilMerged() throws Exception {
        Path tree = worktrees.create("agent-3");
        write(tree.resolve("src/b.py"), "b\n");
        git(tree, "add", "src/b.py");
        commit(tree, "b");
        write(tree.resolve("src/c.py"), "c\n");
        git(tree, "add", "src/c.py");
        commit(tree, "c");

        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> worktrees.remove("agent-3"));

        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(refused.getMessage()).isEqualTo(
                "branch swarm/agent-3 has 2 commits not on any other branch or remote: merge or push them first");
        assertThat(tree.resolve("src/c.py")).exists();
        assertThat(worktrees.list()).singleElement().satisfies(w -> assertThat(w.unpushedCommits()).isEqualTo(2));

        git(root, "merge", "-q", "--ff-only", "swarm/agent-3");
        assertThat(worktrees.remove("agent-3")).isEqualTo(new Worktrees.Removed("agent-3", "swarm/agent-3", true));
        assertThat(tree).doesNotExist();
        assertThat(git(root, "branch", "--list", "swarm/agent-3")).isEmpty();
        assertThat(worktrees.list()).isEmpty();
    }

    @Test
    void aCleanWorktreeWithNothingNewIsRemovedWithItsBranch() throws Exception {
        Path tree = worktrees.create("agent-3");

        assertThat(worktrees.remove("agent-3").branchDeleted()).isTrue();

        assertThat(tree).doesNotExist();
        assertThat(git(root, "branch", "--list", "swarm/*")).isEmpty();
        assertThat(git(root, "worktree", "list", "--porcelain")).doesNotContain("agent-3");
        assertThat(worktrees.create("agent-3")).as("the name is free again").exists();
    }

    @Test
    void commitsOnARemoteBranchAreNotLostSoTheWorktreeGoesButGitKeepsTheUnmergedBranch() throws Exception {
        Path tree = worktrees.create("agent-3");
        write(tree.resolve("b.py"), "b\n");
        git(tree, "add", "b.py");
        commit(tree, "b");
        git(root, "update-ref", "refs/remotes/origin/swarm/agent-3", "refs/heads/swarm/agent-3"); // as a push leaves it

        assertThat(worktrees.remove("agent-3")).isEqualTo(new Worktrees.Removed("agent-3", "swarm/agent-3", false));

        assertThat(tree).doesNotExist();
        assertThat(git(root, "branch", "--list", "swarm/agent-3")).as("git branch -d refuses an unmerged branch").contains("swarm/agent-3");
    }

    @Test
    void commitsOnADetachedHeadRefuseRemoval() throws Exception {
        Path tree = worktrees.create("agent-3");
        git(tree, "checkout", "-q", "--detach");
        write(tree.resolve("b.py"), "b\n");
        git(tree, "add", "b.py");
        commit(tree, "b");

        assertThat(catchThrowableOfType(SwarmException.class, () -> worktrees.remove("agent-3")))
                .hasMessage("worktree agent-3 (detached HEAD) has 1 commit not on any other branch or remote: merge or push them first");
        assertThat(tree.resolve("b.py")).exists();
    }

    @Test
    void badNamesAreRefusedAndCreateNothing() throws Exception {
        for (String name : Arrays.asList(null, "", "../up", "a/b", "-rf", ".hidden", "a..b", "x.lock", "x.", "a b", "x".repeat(65))) {
            SwarmException refused = catchThrowableOfType(SwarmException.class, () -> worktrees.create(name));
            assertThat(refused).as("create(%s)", name).isNotNull();
            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
            assertThat(refused.getMessage()).startsWith("bad worktree name");
            assertThat(catchThrowableOfType(SwarmException.class, () -> worktrees.remove(name)).kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        }
        assertThat(root.resolve(".swarm/worktrees")).doesNotExist();
        assertThat(git(root, "branch", "--list")).isEqualTo("* main");
    }

    @Test
    void anExistingWorktreeDirectoryOrBranchIsRefused() throws Exception {
        worktrees.create("agent-3");
        assertThat(catchThrowableOfType(SwarmException.class, () -> worktrees.create("agent-3")))
                .hasMessageStartingWith("worktree agent-3 exists");
        git(root, "branch", "swarm/agent-4");
        assertThat(catchThrowableOfType(SwarmException.class, () -> worktrees.create("agent-4")))
                .hasMessage("branch swarm/agent-4 exists: remove it or choose another name");
        assertThat(root.resolve(".swarm/worktrees/agent-4")).doesNotExist();
        assertThat(catchThrowableOfType(SwarmException.class, () -> worktrees.remove("agent-5")))
                .hasMessageStartingWith("no worktree agent-5");
    }

    @Test
    void aProjectWithoutGitOrWithoutACommitIsRefused(@TempDir Path elsewhere) throws Exception {
        Path plain = Files.createDirectory(elsewhere.resolve("plain"));
        assertThat(catchThrowableOfType(SwarmException.class, () -> new Worktrees(plain).create("agent-3")))
                .hasMessageContaining("is not a git repository");

        Path empty = Files.createDirectory(elsewhere.resolve("empty"));
        git(empty, "init", "-q");
        assertThat(catchThrowableOfType(SwarmException.class, () -> new Worktrees(empty).create("agent-3")))
                .hasMessageContaining("has no commit yet");

        Path sub = Files.createDirectory(root.resolve("src/sub"));
        assertThat(catchThrowableOfType(SwarmException.class, () -> new Worktrees(sub).create("agent-3")))
                .hasMessageContaining("is not the top of its git repository");
        assertThat(git(root, "branch", "--list")).isEqualTo("* main");
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static void commit(Path tree, String message) throws Exception {
        git(tree, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", message);
    }

    /** Runs git in {@code directory}; its trimmed output, or a failed test. */
    private static String git(Path directory, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git", "-C", directory.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("%s: %s", command, out).isZero();
        return out.strip();
    }
}
