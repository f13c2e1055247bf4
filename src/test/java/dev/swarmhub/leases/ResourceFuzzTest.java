package dev.swarmhub.leases;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.swarmhub.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Resources (paths, globs, names, tasks) as users give them, fuzzed (seeds: ResourceFuzzTestInputs). */
class ResourceFuzzTest {

    @TempDir
    static Path root;
    private static ResourceParser parser;

    @BeforeAll
    static void parser() {
        parser = new ResourceParser(root);
    }

    /**
     * Two resources, one per line: each is parsed or refused as bad input. A parsed resource is
     * canonical (its text parses to itself, and the store rebuilds it from its text); overlap is
     * reflexive and symmetric; and when two overlap, each one's anchor lies in the other's scope,
     * which is all the store looks at to find conflicting leases.
     */
    @FuzzTest
    void resourcesAreCanonicalAndEveryOverlapIsInScope(byte[] input) {
        String[] lines = Fuzzing.text(input).split("\n", 2);
        Optional<Resource> first = Fuzzing.answerOrBadInput(() -> parser.parse(lines[0]));
        Optional<Resource> second = lines.length < 2 ? first : Fuzzing.answerOrBadInput(() -> parser.parse(lines[1]));
        for (Optional<Resource> parsed : Arrays.asList(first, second)) {
            parsed.ifPresent(resource -> {
                assertThat(parser.parse(resource.text())).as("parsed again").isEqualTo(resource);
                assertThat(Resource.ofCanonical(resource.text())).as("rebuilt from its text").isEqualTo(resource);
                assertThat(resource.overlaps(resource)).as("overlaps itself").isTrue();
            });
        }
        if (first.isPresent() && second.isPresent()) {
            Resource a = first.get();
            Resource b = second.get();
            boolean overlap = a.overlaps(b);
            assertThat(b.overlaps(a)).as(b + " overlaps " + a).isEqualTo(overlap);
            if (overlap) {
                assertThat(inScope(a.scope(), b.anchor())).as(b + "'s anchor in the scope of " + a + ": " + a.scope()).isTrue();
                assertThat(inScope(b.scope(), a.anchor())).as(a + "'s anchor in the scope of " + b + ": " + b.scope()).isTrue();
            }
        }
    }

    /** Whether the store's lookup of a scope finds a lease with this anchor: one of its anchors, or in its range (binary order, as the store compares). */
    private static boolean inScope(Resource.AnchorScope scope, String anchor) {
        if (scope.anchors().contains(anchor)) {
            return true;
        }
        return scope.rangeFrom() != null && binary(anchor, scope.rangeFrom()) >= 0
                && (scope.rangeTo() == null || binary(anchor, scope.rangeTo()) < 0);
    }

    private static int binary(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
