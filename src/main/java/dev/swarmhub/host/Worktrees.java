package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.ResourceParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Agents' git worktrees: {@code <project>/.swarm/worktrees/<name>}, each on its own branch
 * {@code swarm/<name>} (leases and the commit guard see the same files there as in the main tree:
 * {@link ResourceParser#WORKTREES}). Removing one never loses work: it is refused, naming what would
 * be lost, while the worktree has uncommitted changes or its commits are on no other branch or remote.
 * {@code .swarm/} is ignored by the {@code .gitignore} the store writes there, so worktrees add
 * nothing to the main tree's {@code git status}.
 */
public final class Worktrees {

    /** As agent ids: one directory name, neither an option nor a hidden file. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final String BRANCH_PREFIX = "swarm/";
    /** At most this many changed files named in a refusal. */
    private static final int CHANGES_NAMED = 10;

    /**
     * One worktree: its branch (null when its HEAD is detached), its uncommitted changes as
     * {@code git status --short} lines (untracked files included), and how many of its commits are
     * on no other branch and no remote.
     */
    public record Worktree(String name, Path path, String branch, List<String> changes, int unpushedCommits) {
        public boolean dirty() {
            return !changes.isEmpty();
        }
    }

    /**
     * A removed worktree. Its branch is kept when {@code git branch -d} refuses it: its commits are on
     * another branch or a remote (else removing was refused) but not merged into HEAD nor its upstream.
     */
    public record Removed(String name, String branch, boolean branchDeleted) {
    }

    private final Path root;
    private final Path directory;
    private final Git git;

    public Worktrees(Path projectRoot) {
        this.root = realPath(projectRoot); // as git names worktrees
        this.directory = root.resolve(ResourceParser.WORKTREES);
        this.git = new Git(root);
    }

    public static String branch(String name) {
        return BRANCH_PREFIX + name;
    }

    /** Adds the worktree {@code name} on a new branch {@code swarm/<name>} from the current HEAD; returns its path. */
    public Path create(String name) {
        Path path = pathOf(name);
        requireCreatable(name);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw SwarmException.denied("worktree " + name + " exists: " + path);
        }
        if (branchExists(name)) {
            throw SwarmException.denied("branch " + branch(name) + " exists: remove it or choose another name");
        }
        git.output("worktree", "add", "--quiet", "-b", branch(name), path.toString(), "HEAD");
        return path;
    }

    /**
     * Refuses (bad input) what would keep a worktree from being created: a name (null: one chosen
     * later) that is no branch name, a project root that is not the top of a git repository with a commit.
     */
    public void requireCreatable(String name) {
        if (name != null) {
            pathOf(name);
        }
        requireProjectRepository();
        if (!git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}").succeeded()) {
            throw SwarmException.badInput(root + " has no commit yet: a worktree starts from the current commit");
        }
    }

    /** The worktrees under {@code .swarm/worktrees}, by name. */
    public List<Worktree> list() {
        List<Worktree> worktrees = new ArrayList<>();
        // --porcelain -z: one NUL-terminated line per attribute, an empty one after each worktree
        Path path = null;
        String head = null;
        String branch = null;
        for (String line : git.output("worktree", "list", "--porcelain", "-z").split("\0", -1)) {
            if (line.startsWith("worktree ")) {
                path = Path.of(line.substring("worktree ".length()));
            } else if (line.startsWith("HEAD ")) {
                head = line.substring("HEAD ".length());
            } else if (line.startsWith("branch refs/heads/")) {
                branch = line.substring("branch refs/heads/".length());
            } else if (line.isEmpty() && path != null) {
                if (directory.equals(path.getParent())) {
                    worktrees.add(describe(path, head, branch));
                }
                path = null;
                head = null;
                branch = null;
            }
        }
        worktrees.sort(Comparator.comparing(Worktree::name));
        return worktrees;
    }

    /**
     * Removes the worktree and deletes its branch ({@code git branch -d}, never {@code -D}). Refused,
     * with nothing deleted, while it has uncommitted changes or unpushed commits.
     */
    public Removed remove(String name) {
        Path path = pathOf(name);
        Worktree worktree = list().stream().filter(w -> w.path().equals(path)).findFirst()
                .orElseThrow(() -> SwarmException.badInput("no worktree " + name + " in " + directory));
        if (worktree.dirty()) {
            int more = worktree.changes().size() - CHANGES_NAMED;
            throw SwarmException.denied("worktree " + name + " has uncommitted changes: "
                    + String.join(", ", worktree.changes().subList(0, Math.min(CHANGES_NAMED, worktree.changes().size())))
                    + (more > 0 ? " and " + more + " more" : "") + "; commit or discard them first");
        }
        if (worktree.unpushedCommits() > 0) {
            String holder = branch(name).equals(worktree.branch()) ? "branch " + worktree.branch()
                    : "worktree " + name + " (" + (worktree.branch() == null ? "detached HEAD" : "on branch " + worktree.branch()) + ")";
            throw SwarmException.denied(holder + " has " + worktree.unpushedCommits() + (worktree.unpushedCommits() == 1 ? " commit" : " commits")
                    + " not on any other branch or remote: merge or push them first");
        }
        git.output("worktree", "remove", path.toString()); // without --force: git itself refuses a tree that changed meanwhile
        boolean branchDeleted = branchExists(name) && git.run("branch", "-d", branch(name)).succeeded();
        return new Removed(name, branch(name), branchDeleted);
    }

    private Worktree describe(Path path, String head, String branch) {
        String name = path.getFileName().toString();
        List<String> changes = new ArrayList<>();
        // -z: paths as they are (never quoted), each entry "XY path"; --no-renames: one path per entry
        String status = new Git(path).output("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames");
        for (String entry : status.split("\0")) {
            if (!entry.isEmpty()) {
                changes.add(entry.substring(0, 2).strip() + " " + entry.substring(3));
            }
        }
        return new Worktree(name, path, branch, List.copyOf(changes), unpushedCommits(name, head));
    }

    /**
     * Commits of the worktree's HEAD and of its branch that no other local branch and no
     * remote-tracking branch holds: what removing the worktree and its branch would lose.
     */
    private int unpushedCommits(String name, String head) {
        List<String> args = new ArrayList<>(List.of("rev-list", "--count"));
        if (head != null) {
            args.add(head);
        }
        if (branchExists(name)) {
            args.add("refs/heads/" + branch(name));
        }
        // --exclude before --branches names a branch without refs/heads/ (a glob: names hold no wildcard)
        args.addAll(List.of("--not", "--exclude=" + branch(name), "--branches", "--remotes"));
        return Integer.parseInt(git.output(args.toArray(String[]::new)).strip());
    }

    private boolean branchExists(String name) {
        return git.run("rev-parse", "--verify", "--quiet", "refs/heads/" + branch(name)).succeeded();
    }

    private Path pathOf(String name) {
        boolean branchName = name != null && !name.contains("..") && !name.endsWith(".") && !name.endsWith(".lock"); // git's rules
        if (!branchName || !NAME.matcher(name).matches()) {
            throw SwarmException.badInput("bad worktree name '" + name + "': use 1-64 letters, digits, '_', '.' or '-', starting with"
                    + " a letter or digit, without '..' and not ending in '.' or '.lock' (it names the branch " + BRANCH_PREFIX + "NAME)");
        }
        return directory.resolve(name);
    }

    /** Worktrees are checkouts of the project: its root must be the top of a git repository. */
    private void requireProjectRepository() {
        Git.Result topLevel = git.run("rev-parse", "--show-toplevel");
        if (!topLevel.succeeded()) {
            throw SwarmException.badInput(root + " is not a git repository: worktrees need one (git init, and a first commit)");
        }
        if (!Path.of(topLevel.out().strip()).equals(root)) {
            throw SwarmException.badInput("the project root " + root + " is not the top of its git repository "
                    + topLevel.out().strip() + ": worktrees check out the whole repository");
        }
    }

    private static Path realPath(Path root) {
        try {
            return root.toRealPath();
        } catch (IOException e) {
            throw SwarmException.badInput("cannot resolve the project root " + root + ": " + e.getMessage());
        }
    }
}
