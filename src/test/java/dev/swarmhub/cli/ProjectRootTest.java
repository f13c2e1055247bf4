package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which project a command run in a directory belongs to. */
class ProjectRootTest {

    @TempDir
    Path temp;
    private Path project;

    @BeforeEach
    void aGitProject() throws Exception {
        project = temp.toRealPath().resolve("project");
        Files.createDirectories(project.resolve(".git"));
        Files.createDirectories(project.resolve("src/deep"));
    }

    @Test
    void theNearestAncestorWithGitIsTheProject() {
        assertThat(ProjectRoot.find(null, null, project.resolve("src/deep"))).isEqualTo(project);
        assertThat(ProjectRoot.find(null, null, project)).isEqualTo(project);
    }

    @Test
    void insideAnAgentsWorktreeTheProjectIsTheOneHoldingIt() throws Exception {
        Path worktree = Files.createDirectories(project.resolve(".swarm/worktrees/agent-3"));
        Files.writeString(worktree.resolve(".git"), "gitdir: " + project.resolve(".git/worktrees/agent-3") + "\n");
        Files.createDirectories(worktree.resolve(".swarm")); // left by a command that took the worktree for a project
        Files.createDirectories(worktree.resolve("src/deep"));

        assertThat(ProjectRoot.find(null, null, worktree)).isEqualTo(project);
        assertThat(ProjectRoot.find(null, null, worktree.resolve("src/deep"))).isEqualTo(project);
        assertThat(ProjectRoot.find(null, null, project.resolve(".swarm/worktrees"))).isEqualTo(project);
    }
}
