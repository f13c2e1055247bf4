package dev.swarmhub.leases;

import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns user input into canonical {@link Resource}s. Paths are normalised lexically and made
 * relative to the project root, so {@code src/a.py}, {@code ./src/a.py}, {@code src/../src/a.py}
 * and the absolute path are one resource. Relative paths are relative to the project root: the
 * CLI turns a path typed inside the project into one (relative to its working directory, as git
 * reads it) before it calls the domain. A path inside an agent's git worktree ({@link #WORKTREES}) is the same resource as in
 * the main tree.
 */
public final class ResourceParser {

    public static final int MAX_LENGTH = 4096;
    /**
     * Where agents' git worktrees live, relative to the project root: each is a checkout of the
     * same project, so {@code .swarm/worktrees/agent-3/src/a.py} names {@code src/a.py} and a lease
     * holds in every worktree.
     */
    public static final Path WORKTREES = Path.of(".swarm", "worktrees");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,255}");
    private static final Pattern TASK_ID = Pattern.compile("[0-9A-Za-z]{1,64}");

    private final String root;
    private final String realRoot;

    public ResourceParser(Path projectRoot) {
        Path absolute = projectRoot.toAbsolutePath().normalize();
        this.root = absolute.toString();
        String real;
        try {
            real = absolute.toRealPath().toString();
        } catch (IOException e) {
            real = root;
        }
        this.realRoot = real;
    }

    public Resource parse(String input) {
        if (input == null || input.isEmpty()) {
            throw SwarmException.badInput("empty resource: give a path, a glob or name:NAME");
        }
        if (input.length() > MAX_LENGTH) {
            throw SwarmException.badInput("resource longer than " + MAX_LENGTH + " characters: "
                    + input.substring(0, 60) + "...");
        }
        input.codePoints().filter(Limits::unsafeInLine).findFirst().ifPresent(c -> {
            throw SwarmException.badInput("resource contains " + Limits.describe(c) + ": " + printable(input));
        });
        if (input.startsWith(Resource.NAME_PREFIX)) {
            String name = input.substring(Resource.NAME_PREFIX.length());
            if (!NAME.matcher(name).matches()) {
                throw SwarmException.badInput("bad resource name '" + input
                        + "': after 'name:' use 1-256 of letters, digits and _ . : / @ + - (starting with a letter or digit)");
            }
            return new Resource(Resource.Kind.NAME, input);
        }
        if (input.startsWith(Resource.TASK_PREFIX)) {
            String id = input.substring(Resource.TASK_PREFIX.length());
            if (!TASK_ID.matcher(id).matches()) {
                throw SwarmException.badInput("bad task resource '" + input + "': after 'task:' give the task's id (letters and digits)");
            }
            return Resource.ofTask(id.toUpperCase(Locale.ROOT));
        }
        boolean absolute = input.startsWith("/");
        List<String> segments = normalise(input, absolute);
        if (absolute) {
            segments = relativeToRoot(input, segments);
        }
        segments = outOfWorktree(segments);
        if (segments.isEmpty()) {
            throw SwarmException.badInput("resource names the project root itself, not a file: " + input);
        }
        for (String prefix : List.of(Resource.NAME_PREFIX, Resource.TASK_PREFIX)) {
            if (segments.get(0).startsWith(prefix)) {
                throw SwarmException.badInput("'" + input + "' would be read back as the resource " + String.join("/", segments)
                        + ": a path at the project root may not start with '" + prefix + "' (lease it with a glob such as "
                        + prefix.substring(0, prefix.length() - 1) + "?*)");
            }
        }
        boolean glob = segments.stream().anyMatch(Glob::hasWildcard);
        return new Resource(glob ? Resource.Kind.GLOB : Resource.Kind.PATH, String.join("/", segments));
    }

    public List<Resource> parseAll(List<String> inputs) {
        List<Resource> resources = new ArrayList<>();
        for (String input : inputs) {
            Resource resource = parse(input);
            if (!resources.contains(resource)) {
                resources.add(resource);
            }
        }
        return resources;
    }

    /** The segments after the project root (or its real path), for an absolute input. */
    private List<String> relativeToRoot(String input, List<String> absolute) {
        for (String base : List.of(root, realRoot)) {
            List<String> rootSegments = base.equals("/") ? List.of() : List.of(base.substring(1).split("/"));
            if (absolute.size() >= rootSegments.size() && absolute.subList(0, rootSegments.size()).equals(rootSegments)) {
                return absolute.subList(rootSegments.size(), absolute.size());
            }
        }
        throw SwarmException.badInput("path is outside the project root " + root + ": " + input);
    }

    /** The same path in the main tree, for a path inside a worktree (whose name is literal: a glob there is left alone). */
    private static List<String> outOfWorktree(List<String> segments) {
        int depth = WORKTREES.getNameCount();
        boolean inWorktree = segments.size() > depth && String.join("/", segments.subList(0, depth)).equals(WORKTREES.toString())
                && !Glob.hasWildcard(segments.get(depth));
        return inWorktree ? segments.subList(depth + 1, segments.size()) : segments;
    }

    /** Lexical normalisation: drops empty and "." segments, resolves "..", collapses "**" runs. */
    private static List<String> normalise(String input, boolean absolute) {
        List<String> segments = new ArrayList<>();
        boolean afterWildcard = false;
        for (String segment : input.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (afterWildcard) {
                    throw SwarmException.badInput("'..' after a wildcard segment is ambiguous: " + input);
                }
                if (segments.isEmpty()) {
                    throw SwarmException.badInput((absolute ? "path is outside the project root: " : "path leaves the project root: ") + input);
                }
                segments.remove(segments.size() - 1);
                continue;
            }
            if (segment.contains(Glob.ANY_SEGMENTS) && !segment.equals(Glob.ANY_SEGMENTS)) {
                throw SwarmException.badInput("'**' must be a whole path segment (like src/**/x.py): " + input);
            }
            if (segment.equals(Glob.ANY_SEGMENTS) && !segments.isEmpty()
                    && segments.get(segments.size() - 1).equals(Glob.ANY_SEGMENTS)) {
                continue; // **/** means the same as **
            }
            afterWildcard |= Glob.hasWildcard(segment);
            segments.add(segment);
        }
        return segments;
    }

    private static String printable(String input) {
        StringBuilder out = new StringBuilder();
        input.codePoints().limit(200).forEach(cp -> {
            if (Limits.unsafeInLine(cp)) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }
}
