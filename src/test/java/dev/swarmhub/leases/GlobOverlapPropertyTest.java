package dev.swarmhub.leases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Property tests for {@link Resource#overlaps} (and so {@link Glob#intersects}) against an
 * independent brute-force reference, plus the soundness of {@link Resource#scope()}.
 *
 * <p><b>Reference.</b> Each pattern becomes a {@link java.util.regex.Pattern} over the path with a
 * leading '/': a segment {@code **} is {@code (?:/[^/]+)*} (zero or more whole segments), any
 * other segment is {@code /} followed by its characters, {@code *} as {@code [^/]*}, {@code ?} as
 * {@code [^/]} and everything else quoted. Two patterns overlap iff some path of a bounded
 * universe matches both: segments over {a, b} of length 1..2, depth 1..4 (6 + 36 + 216 + 1296 =
 * 1554 paths). Universe paths have no empty segment, so {@code [^/]*} never matches one.
 *
 * <p><b>Why a witness always fits the universe</b> (patterns have at most 2 segments, each either
 * {@code **} or 1..2 characters from {a, b, *, ?}). Take any common path and its two matchings.
 * <ul>
 *   <li>Depth: a path segment consumed by a {@code **} on both sides can be deleted and both
 *       patterns still match. So a shortest common path only has segments produced by a non-
 *       {@code **} segment of at least one pattern: depth &lt;= 2 + 2 = 4. Depth 0 (no segments)
 *       would only be needed if both patterns consist of {@code **} alone, and then both match
 *       every path, e.g. {@code a}; so depth &gt;= 1 is enough.</li>
 *   <li>Segment length: likewise a character consumed by a {@code *} on both sides can be deleted.
 *       If a segment pattern has no {@code *} it matches words of exactly its length (&lt;= 2); if
 *       both aligned patterns have a {@code *}, each has at most one other character, so a
 *       shortest common word has length &lt;= 2. If deleting leaves the empty word, both patterns
 *       are stars alone and share {@code a}. Hence length 1..2.</li>
 *   <li>Alphabet: every remaining character is a literal from {a, b} on one side (then use it)
 *       or a {@code ?}/{@code *} on both sides (then use {@code a}).</li>
 *   <li>A segment pattern aligned with a path segment produced by the other side's {@code **}
 *       needs any word it matches: its shortest word has length &lt;= 2 (or 1 for stars alone)
 *       over {a, b}.</li>
 * </ul>
 * So "no universe path matches both" really means "no path at all matches both".
 *
 * <p><b>Replay.</b> Case {@code i} uses seed {@code base + i}; the base is {@code -Dswarm.seed=N}
 * (default {@link #DEFAULT_SEED}). A failure message prints the case seed; re-running with
 * {@code -Dswarm.seed=<that seed>} makes it the first case.
 */
class GlobOverlapPropertyTest {

    private static final long DEFAULT_SEED = 0x5A4B_1D2025L;
    private static final long BASE_SEED = Long.getLong("swarm.seed", DEFAULT_SEED);
    private static final int RANDOM_CASES = 6_000;
    private static final int SCOPE_CASES = 6_000;

    private static final char[] SEGMENT_CHARS = {'a', 'b', '*', '?'};
    private static final List<String> UNIVERSE = universe();
    private static final ResourceParser PARSER = new ResourceParser(Path.of("/swarmhub-test-root"));

    /** Brute-force match sets, by raw (un-normalised) pattern text. */
    private final Map<String, BitSet> matchCache = new HashMap<>();

    // ---------------------------------------------------------------- examples from the spec

    @Test
    void starGlobOverlapsAFileInItsDirectory() {
        assertOverlap("src/*.py", "src/test.py", true);
    }

    @Test
    void doubleStarGlobOverlapsDeepFilesButNotASiblingWithTheSamePrefix() {
        assertOverlap("src/auth/**", "src/auth/jwt/token.py", true);
        assertOverlap("src/auth/**", "src/authz.py", false);
        assertOverlap("src/auth/**", "src/auth", true); // README: covers "a file named src/auth itself"
    }

    @Test
    void singleStarDoesNotCrossADirectory() {
        assertOverlap("*.py", "src/a.py", false);
        assertOverlap("*.py", "a.py", true);
    }

    @Test
    void leadingDoubleStarCoversFilesAtAnyDepthIncludingTheRoot() {
        assertOverlap("**/*.py", "src/a.py", true);
        assertOverlap("**/*.py", "a.py", true);
        assertOverlap("**/*.py", "src/a.pyc", false);
    }

    @Test
    void globsOverlapOnlyWhenSomePathMatchesBoth() {
        assertOverlap("src/*.py", "src/**", true);
        assertOverlap("src/*.py", "*/test.*", true);
        assertOverlap("src/*.py", "src/*.js", false);
        assertOverlap("a*", "*b", true);  // "ab"
        assertOverlap("a?", "?b", true);  // "ab"
        assertOverlap("a?", "b*", false);
        assertOverlap("**/x", "y/**", true); // "y/x"
        assertOverlap("*/*", "*", false);   // depth 2 vs depth 1
    }

    @Test
    void pathsOverlapOnlyWhenEqual() {
        assertOverlap("src/a.py", "src/a.py", true);
        assertOverlap("src/a.py", "src/b.py", false);
        assertOverlap("src/a.py", "src", false);
    }

    @Test
    void namedResourceOverlapsOnlyItself() {
        Resource build = Resource.ofCanonical("name:build");
        assertThat(build.kind()).isEqualTo(Resource.Kind.NAME);
        assertOverlap("name:build", "name:build", true);
        assertOverlap("name:build", "name:build2", false);
        assertOverlap("name:build", "name:deploy", false);
        assertOverlap("name:build", "build", false);
        assertOverlap("name:build", "**", false);
        assertOverlap("name:build", "*", false);
        assertOverlap("name:build", "**/build", false);
    }

    @Test
    void scopeOfAPathFindsAGlobWhoseTrailingDoubleStarCoversThePathItself() {
        // src/auth/** covers the file src/auth (README, and overlaps() agrees), so a lease on
        // src/auth/** must be among the candidates when src/auth is acquired, and vice versa.
        Resource path = Resource.ofCanonical("src/auth");
        Resource glob = Resource.ofCanonical("src/auth/**");
        assertThat(path.overlaps(glob)).isTrue();
        assertThat(inScope(path.scope(), glob.anchor()))
                .as("anchor '%s' of %s must be in scope %s of %s", glob.anchor(), glob, path.scope(), path)
                .isTrue();
        assertThat(inScope(glob.scope(), path.anchor()))
                .as("anchor '%s' of %s must be in scope %s of %s", path.anchor(), path, glob.scope(), glob)
                .isTrue();
    }

    @Test
    void scopeFindsTheSpecExamples() {
        assertScopeFindsEachOther("src/*.py", "src/test.py");
        assertScopeFindsEachOther("src/auth/**", "src/auth/jwt/token.py");
        assertScopeFindsEachOther("**/*.py", "src/a.py");
        assertScopeFindsEachOther("name:build", "name:build");
        assertScopeFindsEachOther("src/*/x", "src/**");
        assertScopeFindsEachOther("a/b/c", "a/**/c");
    }

    // ---------------------------------------------------------------- the reference itself

    @Test
    void referenceMatcherAgreesWithHandWrittenCases() {
        // The oracle must be trustworthy on its own; these do not involve Glob at all.
        assertThat(referenceMatches("a/**", "a")).isTrue();
        assertThat(referenceMatches("a/**", "a/b/ab")).isTrue();
        assertThat(referenceMatches("a/**", "ab")).isFalse();
        assertThat(referenceMatches("**", "b/b")).isTrue();
        assertThat(referenceMatches("*", "ab")).isTrue();
        assertThat(referenceMatches("*", "a/b")).isFalse();
        assertThat(referenceMatches("?", "ab")).isFalse();
        assertThat(referenceMatches("a?", "ab")).isTrue();
        assertThat(referenceMatches("**/b", "b")).isTrue();
        assertThat(referenceMatches("**/b", "a/a/b")).isTrue();
        assertThat(referenceMatches("**/b", "a/ba")).isFalse();
        assertThat(UNIVERSE).hasSize(1554).doesNotHaveDuplicates();
    }

    // ---------------------------------------------------------------- random properties

    @Test
    void overlapsAgreesWithBruteForceOnRandomPairs() {
        int globGlob = 0;
        int globPath = 0;
        int pathPath = 0;
        int overlapping = 0;
        for (int i = 0; i < RANDOM_CASES; i++) {
            long seed = BASE_SEED + i;
            Random random = new Random(seed);
            int shape = random.nextInt(10);
            String p;
            String q;
            if (shape < 5) {
                p = randomPattern(random);
                q = randomPattern(random);
                globGlob++;
            } else if (shape < 8) {
                p = randomPattern(random);
                q = randomUniversePath(random);
                if (random.nextBoolean()) {
                    String swap = p;
                    p = q;
                    q = swap;
                }
                globPath++;
            } else {
                p = randomUniversePath(random);
                // Half of the time a near copy of p, so that equal paths come up often.
                q = random.nextBoolean() ? p : mutatePath(random, p);
                pathPath++;
            }
            boolean expected = checkPair(seed, p, q);
            if (expected) {
                overlapping++;
            }
        }
        // The generator must exercise both outcomes and all three shapes, or the test proves little.
        assertThat(overlapping).as("overlapping pairs").isBetween(RANDOM_CASES / 10, RANDOM_CASES * 9 / 10);
        assertThat(globGlob).isPositive();
        assertThat(globPath).isPositive();
        assertThat(pathPath).isPositive();
    }

    @Test
    void overlapsAgreesWithBruteForceOnEverySmallPatternPair() {
        // Exhaustive over the same space the random test samples from (canonical patterns of 1..2
        // segments); cheap because each pattern's match set is computed once.
        List<String> patterns = allSmallPatterns();
        assertThat(patterns).hasSizeGreaterThan(400);
        for (String p : patterns) {
            for (String q : patterns) {
                Resource a = Resource.ofCanonical(p);
                Resource b = Resource.ofCanonical(q);
                boolean expected = referenceOverlaps(p, q);
                if (a.overlaps(b) != expected) {
                    fail(String.format("exhaustive: overlaps(%s, %s) = %s but brute force says %s%s",
                            p, q, !expected, expected, witnessNote(p, q)));
                }
            }
        }
    }

    @Test
    void overlapsOfAGlobWithEachUniversePathIsExactlyMatching() {
        // glob vs concrete path, exhaustively: overlap must be plain matching.
        for (String p : allSmallPatterns()) {
            Resource glob = Resource.ofCanonical(p);
            BitSet matches = matchSet(p);
            for (int k = 0; k < UNIVERSE.size(); k++) {
                Resource path = Resource.ofCanonical(UNIVERSE.get(k));
                if (glob.overlaps(path) != matches.get(k) || path.overlaps(glob) != matches.get(k)) {
                    fail(String.format("glob-vs-path: %s and %s: overlaps = %s / %s but matches = %s",
                            p, path, glob.overlaps(path), path.overlaps(glob), matches.get(k)));
                }
            }
        }
    }

    @Test
    void scopeOfEitherSideFindsTheOthersAnchorForRandomOverlappingPairs() {
        int checked = 0;
        for (int i = 0; i < SCOPE_CASES; i++) {
            long seed = BASE_SEED + i;
            Random random = new Random(seed);
            Resource x = randomScopeResource(random);
            Resource y = random.nextInt(4) == 0 ? x : randomScopeResource(random);
            if (!x.overlaps(y)) {
                continue;
            }
            checked++;
            for (Resource[] pair : new Resource[][] {{x, y}, {y, x}}) {
                Resource.AnchorScope scope = pair[0].scope();
                if (!inScope(scope, pair[1].anchor())) {
                    fail(String.format("seed=%d (replay with -Dswarm.seed=%d): %s overlaps %s, but the anchor"
                                    + " '%s' of %s is not in the scope of %s: anchors=%s, range=[%s, %s)",
                            seed, seed, pair[0], pair[1], pair[1].anchor(), pair[1], pair[0],
                            scope.anchors(), scope.rangeFrom(), scope.rangeTo()));
                }
            }
        }
        assertThat(checked).as("overlapping pairs checked").isGreaterThan(SCOPE_CASES / 5);
    }

    // ---------------------------------------------------------------- checks

    /** Checks overlaps(p, q) and overlaps(q, p) against brute force; returns the expected answer. */
    private boolean checkPair(long seed, String p, String q) {
        Resource a = parse(seed, p);
        Resource b = parse(seed, q);
        boolean expected = referenceOverlaps(p, q);
        boolean forward = a.overlaps(b);
        boolean backward = b.overlaps(a);
        if (forward != expected || backward != expected) {
            fail(String.format("seed=%d (replay with -Dswarm.seed=%d): p=%s q=%s (canonical %s / %s, kinds %s / %s):"
                            + " overlaps(p,q)=%s overlaps(q,p)=%s, brute force=%s%s",
                    seed, seed, p, q, a, b, a.kind(), b.kind(), forward, backward, expected, witnessNote(p, q)));
        }
        return expected;
    }

    private static Resource parse(long seed, String text) {
        Resource resource = PARSER.parse(text);
        boolean wild = text.indexOf('*') >= 0 || text.indexOf('?') >= 0;
        if (resource.kind() != (wild ? Resource.Kind.GLOB : Resource.Kind.PATH)) {
            fail(String.format("seed=%d: %s parsed as %s", seed, text, resource.kind()));
        }
        if (!Resource.ofCanonical(resource.text()).equals(resource)) {
            fail(String.format("seed=%d: %s parsed as %s, which does not rebuild from its text", seed, text, resource));
        }
        return resource;
    }

    private void assertOverlap(String p, String q, boolean expected) {
        Resource a = Resource.ofCanonical(p);
        Resource b = Resource.ofCanonical(q);
        assertThat(a.overlaps(b)).as("%s overlaps %s", p, q).isEqualTo(expected);
        assertThat(b.overlaps(a)).as("%s overlaps %s (symmetry)", q, p).isEqualTo(expected);
    }

    private static void assertScopeFindsEachOther(String p, String q) {
        Resource a = Resource.ofCanonical(p);
        Resource b = Resource.ofCanonical(q);
        assertThat(a.overlaps(b)).as("%s overlaps %s", a, b).isTrue();
        assertThat(inScope(a.scope(), b.anchor())).as("anchor '%s' of %s in scope %s of %s", b.anchor(), b, a.scope(), a).isTrue();
        assertThat(inScope(b.scope(), a.anchor())).as("anchor '%s' of %s in scope %s of %s", a.anchor(), a, b.scope(), b).isTrue();
    }

    /** How the store looks leases up: exact anchors, or rangeFrom &lt;= anchor &lt; rangeTo (null: unbounded). */
    static boolean inScope(Resource.AnchorScope scope, String anchor) {
        if (scope.anchors().contains(anchor)) {
            return true;
        }
        if (scope.rangeFrom() == null) {
            return false;
        }
        return anchor.compareTo(scope.rangeFrom()) >= 0
                && (scope.rangeTo() == null || anchor.compareTo(scope.rangeTo()) < 0);
    }

    // ---------------------------------------------------------------- brute-force reference

    private boolean referenceOverlaps(String p, String q) {
        return matchSet(p).intersects(matchSet(q));
    }

    private boolean referenceMatches(String pattern, String path) {
        return toRegex(pattern).matcher("/" + path).matches();
    }

    private BitSet matchSet(String pattern) {
        return matchCache.computeIfAbsent(pattern, text -> {
            Pattern regex = toRegex(text);
            BitSet set = new BitSet(UNIVERSE.size());
            for (int k = 0; k < UNIVERSE.size(); k++) {
                if (regex.matcher("/" + UNIVERSE.get(k)).matches()) {
                    set.set(k);
                }
            }
            return set;
        });
    }

    /** Regex over "/" + path; written independently of Glob. */
    static Pattern toRegex(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (String segment : pattern.split("/", -1)) {
            if (segment.equals("**")) {
                regex.append("(?:/[^/]+)*");
                continue;
            }
            regex.append('/');
            for (char c : segment.toCharArray()) {
                switch (c) {
                    case '*' -> regex.append("[^/]*");
                    case '?' -> regex.append("[^/]");
                    default -> regex.append(Pattern.quote(String.valueOf(c)));
                }
            }
        }
        return Pattern.compile(regex.toString());
    }

    private String witnessNote(String p, String q) {
        BitSet both = (BitSet) matchSet(p).clone();
        both.and(matchSet(q));
        return both.isEmpty() ? " (no common path)" : " (e.g. both match " + UNIVERSE.get(both.nextSetBit(0)) + ")";
    }

    // ---------------------------------------------------------------- generators

    private static List<String> universe() {
        List<String> segments = new ArrayList<>(List.of("a", "b"));
        for (String x : List.of("a", "b")) {
            for (String y : List.of("a", "b")) {
                segments.add(x + y);
            }
        }
        List<String> paths = new ArrayList<>();
        List<String> level = List.of("");
        for (int depth = 1; depth <= 4; depth++) {
            List<String> next = new ArrayList<>();
            for (String prefix : level) {
                for (String segment : segments) {
                    next.add(prefix.isEmpty() ? segment : prefix + "/" + segment);
                }
            }
            paths.addAll(next);
            level = next;
        }
        return List.copyOf(paths);
    }

    /** 1..2 segments, each {@code **} or 1..2 characters from {a, b, *, ?}; may contain {@code **}/{@code **}. */
    private static String randomPattern(Random random) {
        int count = 1 + random.nextInt(2);
        List<String> segments = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            if (random.nextInt(5) == 0) {
                segments.add("**");
            } else {
                StringBuilder segment = new StringBuilder();
                int length = 1 + random.nextInt(2);
                for (int c = 0; c < length; c++) {
                    segment.append(SEGMENT_CHARS[random.nextInt(SEGMENT_CHARS.length)]);
                }
                segments.add(segment.toString());
            }
        }
        return String.join("/", segments);
    }

    private static String randomUniversePath(Random random) {
        return UNIVERSE.get(random.nextInt(UNIVERSE.size()));
    }

    /** A universe path differing from {@code path} in one place (a segment, or the depth). */
    private static String mutatePath(Random random, String path) {
        List<String> segments = new ArrayList<>(List.of(path.split("/")));
        int choice = random.nextInt(3);
        if (choice == 0 && segments.size() > 1) {
            segments.remove(segments.size() - 1);
        } else if (choice == 1 && segments.size() < 4) {
            segments.add(random.nextBoolean() ? "a" : "b");
        } else {
            int k = random.nextInt(segments.size());
            segments.set(k, segments.get(k).equals("a") ? "ab" : "a");
        }
        return String.join("/", segments);
    }

    /** Every canonical pattern of 1..2 segments from the random generator's space. */
    private static List<String> allSmallPatterns() {
        List<String> segments = new ArrayList<>();
        segments.add("**");
        for (char x : SEGMENT_CHARS) {
            segments.add(String.valueOf(x));
            for (char y : SEGMENT_CHARS) {
                if (!(x == '*' && y == '*')) {
                    segments.add("" + x + y);
                }
            }
        }
        Set<String> patterns = new LinkedHashSet<>(segments);
        for (String s : segments) {
            for (String t : segments) {
                if (!(s.equals("**") && t.equals("**"))) {
                    patterns.add(s + "/" + t);
                }
            }
        }
        return List.copyOf(patterns);
    }

    /**
     * Resources for the scope property: longer literal prefixes (so anchors have several levels),
     * some names, paths and globs of 1..4 segments over a small alphabet so that pairs often
     * overlap.
     */
    private static Resource randomScopeResource(Random random) {
        if (random.nextInt(12) == 0) {
            return Resource.ofCanonical("name:" + (random.nextBoolean() ? "a" : "a/b"));
        }
        int count = 1 + random.nextInt(4);
        boolean glob = random.nextInt(3) != 0;
        List<String> segments = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int roll = random.nextInt(10);
            if (glob && roll == 0 && (segments.isEmpty() || !segments.get(segments.size() - 1).equals("**"))) {
                segments.add("**");
            } else if (glob && roll <= 2) {
                segments.add(random.nextBoolean() ? "*" : (random.nextBoolean() ? "a*" : "?"));
            } else {
                segments.add(random.nextBoolean() ? "a" : (random.nextBoolean() ? "b" : "a-b"));
            }
        }
        return PARSER.parse(String.join("/", segments));
    }
}
