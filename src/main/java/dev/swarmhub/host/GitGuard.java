package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The git pre-commit hook that refuses commits touching files under another agent's exclusive
 * lease. Installing keeps an existing hook (renamed, and run first); uninstalling restores it.
 */
public final class GitGuard {

    static final String MARKER = "# swarm guard: refuses commits touching files leased by another agent";
    static final String CHAINED = "pre-commit.before-swarm";

    private final Path root;

    public GitGuard(Path projectRoot) {
        this.root = projectRoot;
    }

    public enum State { INSTALLED, NOT_INSTALLED, OTHER_HOOK }

    public State status() {
        Path hook = hook();
        if (!Files.exists(hook)) {
            return State.NOT_INSTALLED;
        }
        return isOurs(hook) ? State.INSTALLED : State.OTHER_HOOK;
    }

    /** Installs the hook calling {@code swarmCommand} (a shell-quoted command line); returns the hook path. */
    public Path install(String swarmCommand) {
        Path hook = hook();
        try {
            Files.createDirectories(hook.getParent());
            if (Files.exists(hook) && !isOurs(hook)) {
                Path chained = hook.resolveSibling(CHAINED);
                if (Files.exists(chained)) {
                    throw SwarmException.badInput("both " + hook + " and " + chained + " exist: merge them by hand first");
                }
                Files.move(hook, chained);
            }
            Path draft = Files.createTempFile(hook.getParent(), ".pre-commit", ".draft",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Files.writeString(draft, script(swarmCommand), StandardCharsets.UTF_8);
            Files.move(draft, hook, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return hook;
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot install the hook " + hook + ": " + e.getMessage(), e);
        }
    }

    /** Removes our hook and puts back the one it chained; false when ours was not installed. */
    public boolean uninstall() {
        Path hook = hook();
        if (!Files.exists(hook) || !isOurs(hook)) {
            return false;
        }
        try {
            Files.delete(hook);
            Path chained = hook.resolveSibling(CHAINED);
            if (Files.exists(chained)) {
                Files.move(chained, hook);
            }
            return true;
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot uninstall the hook " + hook + ": " + e.getMessage(), e);
        }
    }

    /**
     * Absolute paths of the files the next commit adds, changes or deletes (renames as both sides),
     * in the work tree at {@code workingDirectory} (the main tree or a linked worktree: the hook runs
     * at the top of the one committing). {@code indexFile} is the hook's GIT_INDEX_FILE, which holds
     * what {@code commit -a} or {@code commit FILE} is about to commit; null reads the work tree's index.
     */
    public static List<Path> stagedFiles(Path workingDirectory, String indexFile) {
        Git git = new Git(workingDirectory, indexFile == null || indexFile.isBlank() ? Map.of()
                : Map.of("GIT_INDEX_FILE", workingDirectory.resolve(indexFile).toString()));
        String topLevel = git.output("rev-parse", "--show-toplevel").strip();
        List<Path> staged = new ArrayList<>();
        for (String name : git.output("diff", "--cached", "--name-only", "--no-renames", "-z").split("\0")) {
            if (!name.isEmpty()) {
                staged.add(Path.of(topLevel, name));
            }
        }
        return staged;
    }

    public Path hook() {
        String hooks = new Git(root).output("rev-parse", "--git-path", "hooks").strip();
        return root.resolve(hooks).resolve("pre-commit").normalize();
    }

    private static boolean isOurs(Path hook) {
        try {
            return Files.readString(hook, StandardCharsets.UTF_8).contains(MARKER);
        } catch (IOException e) {
            return false;
        }
    }

    private static String script(String swarmCommand) {
        return """
                #!/bin/sh
                %s
                # (swarm guard uninstall restores any hook that was here before, kept as %s)
                hooks=$(dirname "$0")
                if [ -x "$hooks/%s" ]; then
                  "$hooks/%s" "$@" || exit $?
                fi
                %s guard check
                status=$?
                if [ "$status" -ne 0 ] && [ "${SWARM_GUARD:-}" = warn ]; then
                  echo "swarm guard: advisory only (SWARM_GUARD=warn): committing anyway" >&2
                  exit 0
                fi
                exit "$status"
                """.formatted(MARKER, CHAINED, CHAINED, CHAINED, swarmCommand);
    }
}
