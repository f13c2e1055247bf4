package dev.swarmhub.leases;

import java.util.ArrayList;
import java.util.List;

/**
 * Something an agent can lease, in canonical form: a file path relative to the project root, a
 * glob over such paths, a named resource ({@code name:build}), or a task's claim ({@code task:ID},
 * leased by the task queue only). Build one with
 * {@link ResourceParser}; two resources name the same thing exactly when their texts are equal.
 *
 * <p>The anchor is the literal part a resource starts with: the path itself, a glob's directory
 * prefix before its first wildcard segment (ending in '/', or empty), or the full name. Two
 * resources can overlap only when one anchor is a prefix of the other, which lets the store find
 * the few candidates for an overlap check by index instead of scanning every lease.
 */
public record Resource(Kind kind, String text) {

    public enum Kind {
        PATH, GLOB, NAME, TASK;

        /** Paths and globs name files; a named resource or a task only itself. */
        boolean isFile() {
            return this == PATH || this == GLOB;
        }
    }

    /** The claim of a task: what the task queue leases when an agent claims it. */
    public static Resource ofTask(String taskId) {
        return new Resource(Kind.TASK, TASK_PREFIX + taskId);
    }

    public static final String NAME_PREFIX = "name:";
    public static final String TASK_PREFIX = "task:";

    public Resource {
        if (kind == null || text == null || text.isEmpty()) {
            throw new IllegalArgumentException("resource needs a kind and a text");
        }
    }

    /** Rebuilds a resource from its stored canonical text. */
    public static Resource ofCanonical(String text) {
        if (text.startsWith(NAME_PREFIX)) {
            return new Resource(Kind.NAME, text);
        }
        if (text.startsWith(TASK_PREFIX)) {
            return new Resource(Kind.TASK, text);
        }
        return new Resource(text.indexOf('*') >= 0 || text.indexOf('?') >= 0 ? Kind.GLOB : Kind.PATH, text);
    }

    public List<String> segments() {
        return List.of(text.split("/"));
    }

    public String anchor() {
        return switch (kind) {
            case PATH, NAME, TASK -> text;
            case GLOB -> {
                StringBuilder prefix = new StringBuilder();
                for (String segment : segments()) {
                    if (Glob.hasWildcard(segment)) {
                        break;
                    }
                    prefix.append(segment).append('/');
                }
                yield prefix.toString();
            }
        };
    }

    /** True when some file could be covered by both resources. */
    public boolean overlaps(Resource other) {
        if (!kind.isFile() || !other.kind.isFile()) {
            return kind == other.kind && text.equals(other.text);
        }
        return Glob.intersects(segments(), other.segments());
    }

    /**
     * Where the store must look for leases that may overlap this resource: leases whose anchor is
     * one of {@link AnchorScope#anchors()} or lies in the anchor range.
     */
    public AnchorScope scope() {
        if (!kind.isFile()) {
            return new AnchorScope(List.of(text), null, null);
        }
        String anchor = anchor();
        List<String> anchors = new ArrayList<>();
        anchors.add(""); // globs anchored at the root, such as **/*.py
        for (int slash = anchor.indexOf('/'); slash >= 0 && slash < anchor.length() - 1; slash = anchor.indexOf('/', slash + 1)) {
            anchors.add(anchor.substring(0, slash + 1));
        }
        if (kind == Kind.PATH) {
            anchors.add(anchor);
            anchors.add(anchor + "/"); // globs such as a.py/** also match the path a.py itself
            return new AnchorScope(anchors, null, null);
        }
        if (anchor.isEmpty()) {
            return new AnchorScope(List.of(), "", null);
        }
        anchors.add(anchor.substring(0, anchor.length() - 1)); // src/** also matches the path src
        // The range holds the glob's anchor and all below it: anchors starting with "a/b/" sort
        // at or after it and before "a/b0" ('0' follows '/').
        return new AnchorScope(anchors, anchor, anchor.substring(0, anchor.length() - 1) + '0');
    }

    @Override
    public String toString() {
        return text;
    }

    /**
     * Anchors to look up exactly, plus an optional range [from, to) of anchors (to == null: no
     * upper bound; from == null: no range). Anchors compare by code point (binary collation).
     */
    public record AnchorScope(List<String> anchors, String rangeFrom, String rangeTo) {
    }
}
