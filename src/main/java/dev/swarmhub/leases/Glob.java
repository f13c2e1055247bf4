package dev.swarmhub.leases;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * Overlap of path patterns given as segment lists. A segment is {@code **} (zero or more whole
 * segments) or a segment pattern where {@code *} is any run of characters and {@code ?} one
 * character, both inside the segment. A plain path is a pattern without wildcards, so one
 * decision serves path = path, glob matches path and glob overlaps glob: do the two patterns
 * share at least one path? The answer is exact (no false positives or negatives).
 */
final class Glob {

    static final String ANY_SEGMENTS = "**";

    private Glob() {
    }

    static boolean hasWildcard(String segment) {
        return segment.indexOf('*') >= 0 || segment.indexOf('?') >= 0;
    }

    /** True when some path matches both segment patterns. */
    static boolean intersects(List<String> a, List<String> b) {
        return shareAWord(a.size(), b.size(),
                i -> a.get(i).equals(ANY_SEGMENTS), j -> b.get(j).equals(ANY_SEGMENTS),
                (i, j) -> segmentsIntersect(a.get(i), b.get(j)));
    }

    /**
     * True when some non-empty segment name matches both segment patterns. A pair whose only
     * common string is empty consists of stars alone, and those also share "x".
     */
    static boolean segmentsIntersect(String p, String q) {
        if (!hasWildcard(p) && !hasWildcard(q)) {
            return p.equals(q);
        }
        return shareAWord(p.length(), q.length(), i -> p.charAt(i) == '*', j -> q.charAt(j) == '*',
                (i, j) -> p.charAt(i) == '?' || q.charAt(j) == '?' || p.charAt(i) == q.charAt(j));
    }

    @FunctionalInterface
    private interface Compatible {
        boolean test(int i, int j);
    }

    /**
     * Whether two patterns of lengths n and m share a word, where a star element matches any run
     * of the other side's units and two non-star elements must be compatible to match one unit.
     * Used at two levels: segments of a path (star = {@code **}) and characters of a segment
     * (star = {@code *}).
     */
    private static boolean shareAWord(int n, int m, IntPredicate aStar, IntPredicate bStar, Compatible compatible) {
        // shared[i][j]: the suffixes a[i..] and b[j..] match a common word.
        boolean[][] shared = new boolean[n + 1][m + 1];
        for (int i = n; i >= 0; i--) {
            for (int j = m; j >= 0; j--) {
                if (i == n && j == m) {
                    shared[i][j] = true;
                    continue;
                }
                boolean starA = i < n && aStar.test(i);
                boolean starB = j < m && bStar.test(j);
                boolean result = false;
                if (starA) { // matches nothing more, or takes the unit the other side produces
                    result = shared[i + 1][j] || (j < m && shared[i][j + 1]);
                }
                if (!result && starB) {
                    result = shared[i][j + 1] || (i < n && shared[i + 1][j]);
                }
                if (!result && !starA && !starB && i < n && j < m) {
                    result = shared[i + 1][j + 1] && compatible.test(i, j);
                }
                shared[i][j] = result;
            }
        }
        return shared[0][0];
    }
}
