package dev.swarmhub.leases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResourceParserTest {

    @TempDir
    Path root;

    private ResourceParser parser;

    @BeforeEach
    void setUp() {
        parser = new ResourceParser(root);
    }

    // ---------------------------------------------------------------- one canonical form

    @Test
    void spellingsOfOnePathGiveOneCanonicalResource() {
        Resource expected = new Resource(Resource.Kind.PATH, "src/a.py");
        for (String input : List.of("src/a.py", "./src/a.py", "src/../src/a.py", "src//a.py", "src/./a.py",
                "src/a.py/", root.toAbsolutePath() + "/src/a.py", root.toAbsolutePath() + "/src/../src/a.py")) {
            assertThat(parser.parse(input)).as("parse(%s)", input).isEqualTo(expected);
        }
    }

    @Test
    void absolutePathThroughTheRealRootOfASymlinkedRootIsInsideTheProject() throws IOException {
        Path real = Files.createDirectory(root.resolve("real"));
        Path link = Files.createSymbolicLink(root.resolve("link"), real);
        ResourceParser viaLink = new ResourceParser(link);
        assertThat(viaLink.parse(link + "/src/a.py").text()).isEqualTo("src/a.py");
        assertThat(viaLink.parse(real.toRealPath() + "/src/a.py").text()).isEqualTo("src/a.py");
    }

    @Test
    void relativePathsAreRelativeToTheProjectRootNotTheWorkingDirectory() {
        // The root is a temp directory, never the JVM's working directory; the result must not
        // depend on it.
        assertThat(parser.parse("src/a.py").text()).isEqualTo("src/a.py");
        assertThat(new ResourceParser(root.resolve("sub")).parse("src/a.py").text()).isEqualTo("src/a.py");
    }

    @Test
    void repeatedDoubleStarSegmentsCollapseToOne() {
        assertThat(parser.parse("**/**/x")).isEqualTo(new Resource(Resource.Kind.GLOB, "**/x"));
        assertThat(parser.parse("a/**/**/**/b").text()).isEqualTo("a/**/b");
        assertThat(parser.parse("**/./**").text()).isEqualTo("**");
    }

    @Test
    void parseAllDropsDuplicateSpellings() {
        assertThat(parser.parseAll(List.of("src/a.py", "./src/a.py", "src/*.py")))
                .extracting(Resource::text).containsExactly("src/a.py", "src/*.py");
    }

    @Test
    void aPathInsideAnAgentsWorktreeIsTheSamePathInTheMainTree() {
        Path worktree = root.toAbsolutePath().resolve(".swarm/worktrees/agent-3");
        for (String input : List.of(worktree + "/src/a.py", ".swarm/worktrees/agent-3/src/a.py", "./.swarm/worktrees/agent-3/../agent-3/src/a.py")) {
            assertThat(parser.parse(input)).as("parse(%s)", input).isEqualTo(new Resource(Resource.Kind.PATH, "src/a.py"));
        }
        assertThat(parser.parse(worktree + "/src/*.py")).isEqualTo(new Resource(Resource.Kind.GLOB, "src/*.py"));
        assertBadInput(worktree.toString(), worktree.toString()); // the worktree itself is the project root
        // only a named worktree's files: other paths under .swarm, and globs over worktrees, stay as they are
        assertThat(parser.parse(".swarm/worktrees/*/src/a.py").text()).isEqualTo(".swarm/worktrees/*/src/a.py");
        assertThat(parser.parse(".swarm/other/agent-3/src/a.py").text()).isEqualTo(".swarm/other/agent-3/src/a.py");
        assertThat(parser.parse("src/.swarm/worktrees/agent-3/a.py").text()).isEqualTo("src/.swarm/worktrees/agent-3/a.py");
    }

    // ---------------------------------------------------------------- kinds

    @Test
    void wildcardsMakeAGlobAndPlainPathsStayPaths() {
        assertThat(parser.parse("src/*.py").kind()).isEqualTo(Resource.Kind.GLOB);
        assertThat(parser.parse("src/?.py").kind()).isEqualTo(Resource.Kind.GLOB);
        assertThat(parser.parse("src/**").kind()).isEqualTo(Resource.Kind.GLOB);
        assertThat(parser.parse("src/a.py").kind()).isEqualTo(Resource.Kind.PATH);
        // README: '[', '{' and '\' have no special meaning
        assertThat(parser.parse("src/[ab].py").kind()).isEqualTo(Resource.Kind.PATH);
        assertThat(parser.parse("src/{a,b}.py").kind()).isEqualTo(Resource.Kind.PATH);
    }

    @Test
    void parsedResourcesRebuildFromTheirCanonicalText() {
        for (String input : List.of("src/a.py", "src/*.py", "**/x", "name:build", "./a/../b/?")) {
            Resource parsed = parser.parse(input);
            assertThat(Resource.ofCanonical(parsed.text())).as("ofCanonical(%s)", parsed).isEqualTo(parsed);
        }
    }

    @Test
    void namePrefixMakesANamedResource() {
        assertThat(parser.parse("name:build")).isEqualTo(new Resource(Resource.Kind.NAME, "name:build"));
        assertThat(parser.parse("name:db-migration").kind()).isEqualTo(Resource.Kind.NAME);
        assertThat(parser.parse("name:a_b.c:d/e@f+g").kind()).isEqualTo(Resource.Kind.NAME);
        assertThat(parser.parse("name:" + "n".repeat(256)).kind()).isEqualTo(Resource.Kind.NAME);
    }

    @Test
    void badNamesAreRejected() {
        assertBadInput("name:", "name:");
        assertBadInput("name:bad name", "name:bad name");
        assertBadInput("name:-build", "name:-build");
        assertBadInput("name:*", "name:*");
        assertBadInput("name:" + "n".repeat(257), "name:nnnn");
    }

    // ---------------------------------------------------------------- rejected input

    @Test
    void pathsLeavingTheRootAreRejected() {
        assertBadInput("../etc/passwd", "../etc/passwd");
        assertBadInput("src/../../x", "src/../../x");
        assertBadInput("/etc/passwd", "/etc/passwd");
        assertBadInput(root.toAbsolutePath() + "/../x", root.toAbsolutePath() + "/../x");
        // a sibling directory whose name starts with the root's name is outside too
        assertBadInput(root.toAbsolutePath() + "-other/a.py", root.toAbsolutePath() + "-other/a.py");
    }

    @Test
    void emptyInputIsRejected() {
        SwarmException e = catchThrowableOfType(SwarmException.class, () -> parser.parse(""));
        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(e.getMessage()).contains("empty");
        SwarmException nullInput = catchThrowableOfType(SwarmException.class, () -> parser.parse(null));
        assertThat(nullInput).isNotNull();
        assertThat(nullInput.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
    }

    @Test
    void nulAndControlCharactersAreRejectedAndShownEscaped() {
        assertBadInput("src/a\0.py", "src/a\\u0000.py");
        assertBadInput("src/a\n.py", "src/a\\u000a.py");
        assertBadInput("src/a\t.py", "src/a\\u0009.py");
        assertBadInput("src/a\u007f.py", "src/a\\u007f.py");
        assertBadInput("name:build\r", "name:build\\u000d");
    }

    @Test
    void bidiZeroWidthAndLoneSurrogatesAreRejectedNamingTheCharacter() {
        assertBadInput("src/\u202Eyp.a", "U+202E (an invisible or direction-changing character): src/\\u202eyp.a");
        assertBadInput("src/\u2066a.py", "U+2066");
        assertBadInput("src/a\u200B.py", "U+200B");
        assertBadInput("src/\uFEFFa.py", "U+FEFF");
        // stored as UTF-8 a lone surrogate becomes '?', which would read back as a glob covering other files
        assertBadInput("src/a\uD800.py", "U+D800 (half of a surrogate pair): src/a\\ud800.py");
        assertBadInput("src/a\uDC00.py", "U+DC00");
        assertThat(parser.parse("src/\uD83D\uDE00.py").text()).as("a whole pair is one character").isEqualTo("src/\uD83D\uDE00.py");
    }

    @Test
    void inputLongerThanTheLimitIsRejectedButTheLimitItselfIsAccepted() {
        String atLimit = "a/".repeat(ResourceParser.MAX_LENGTH / 2 - 1) + "ab";
        assertThat(atLimit).hasSize(ResourceParser.MAX_LENGTH);
        assertThat(parser.parse(atLimit).text()).isEqualTo(atLimit);
        String tooLong = atLimit + "c";
        assertBadInput(tooLong, tooLong.substring(0, 60));
    }

    @Test
    void theRootItselfIsNotAResource() {
        assertBadInput(".", ".");
        assertBadInput("./", "./");
        assertBadInput("src/..", "src/..");
        assertBadInput(root.toAbsolutePath().toString(), root.toAbsolutePath().toString());
        assertBadInput(root.toAbsolutePath() + "/", root.toAbsolutePath() + "/");
    }

    @Test
    void dotDotAfterAWildcardSegmentIsRejected() {
        assertBadInput("src/*/../a.py", "src/*/../a.py");
        assertBadInput("src/**/..", "src/**/..");
        assertBadInput("src/a?/../b", "src/a?/../b");
    }

    @Test
    void dotDotAfterAWildcardSegmentIsRejectedInAnAbsolutePathToo() {
        // The same resource spelled absolutely must get the same answer as the relative form
        // above; Path.normalize() must not silently resolve "*/..".
        String input = root.toAbsolutePath() + "/src/*/../a.py";
        assertBadInput(input, input);
    }

    @Test
    void doubleStarMustBeAWholeSegment() {
        assertBadInput("a**b", "a**b");
        assertBadInput("src/**.py", "src/**.py");
        assertBadInput("***", "***");
    }

    private void assertBadInput(String input, String expectedInMessage) {
        SwarmException e = catchThrowableOfType(SwarmException.class, () -> parser.parse(input));
        assertThat(e).as("parse(%s) must throw", printable(input)).isNotNull();
        assertThat(e.kind()).as("kind for %s", printable(input)).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(e.getMessage()).as("message for %s", printable(input)).contains(expectedInMessage);
    }

    private static String printable(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s.replace("\0", "\\0").replace("\n", "\\n");
    }
}
