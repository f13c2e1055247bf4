package dev.swarmhub.cli;

import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.ResourceParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the project root: --root, else SWARM_ROOT, else the nearest ancestor holding .swarm/ or .git
 * (a directory, or a linked worktree's file), where an agent's worktree under the project's
 * .swarm/worktrees/ belongs to that project.
 */
final class ProjectRoot {

    private ProjectRoot() {
    }

    /**
     * The root through a symlink is the same project: one spelling (the real path, as the
     * working directory already is) everywhere, so the hub, its files and the CLI agree on it.
     */
    private static Path realPath(Path root) {
        try {
            return root.toRealPath();
        } catch (IOException e) {
            throw SwarmException.badInput("cannot resolve the project root " + root + ": " + e.getMessage());
        }
    }

    static Path find(String explicit, String fromEnvironment, Path workingDirectory) {
        for (String given : new String[] {explicit, fromEnvironment}) {
            if (given != null && !given.isBlank()) {
                Path root = workingDirectory.resolve(given).toAbsolutePath().normalize();
                if (!Files.isDirectory(root)) {
                    throw SwarmException.badInput("project root is not a directory: " + root);
                }
                return realPath(root);
            }
        }
        for (Path dir = workingDirectory.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            if (dir.getParent() != null && dir.getParent().endsWith(ResourceParser.WORKTREES)) {
                return dir.getParent().getParent().getParent(); // the project holding this worktree, not the worktree itself
            }
            if (Files.isDirectory(dir.resolve(".swarm")) || Files.exists(dir.resolve(".git"))) {
                return dir;
            }
        }
        throw SwarmException.badInput("no project found: run inside a git repository (or a directory with .swarm/), "
                + "or pass --root DIR / set SWARM_ROOT");
    }
}
