package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Attacks on {@code swarm task} (issue 13) through the CLI: each test is a break found by feeding
 * the queue odd input, kept so that it stays fixed.
 */
class TaskAttackCliTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;
    @TempDir
    Path other;

    private CliRunner cli;
    private Map<String, String> a;

    @BeforeEach
    void register() {
        cli = new CliRunner(project);
        a = cli.register("A");
    }

    private CliRunner.Result importText(CliRunner runner, Map<String, String> as, String text) throws Exception {
        Path file = Files.createTempFile(project, "tasks", ".jsonl");
        Files.writeString(file, text);
        return runner.run(as, "task", "import", file.toString(), "--json");
    }

    /**
     * Break: a time beyond what epoch milliseconds hold ("+999999999-12-31T23:59:59Z" parses as an
     * ISO 8601 time) failed with "long overflow", exit 1 and a stack trace of ArithmeticException.
     */
    @Test
    void anImportedTimeOutOfRangeIsBadInputNamingTheLine() throws Exception {
        for (String time : new String[] {"+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z"}) {
            CliRunner.Result refused = importText(cli, a, "{\"id\":\"bd-1\",\"title\":\"x\",\"created_at\":\"" + time + "\"}\n");

            assertThat(refused.exitCode()).as(refused.err()).isEqualTo(2);
            assertThat(refused.out() + refused.err()).contains("line 1", "created_at").doesNotContain("Exception", "\tat ");
        }
    }

    /**
     * Break: an export of a project with a claimed task whose progress note is near the limit (1,000
     * characters) could not be imported anywhere: the import turns the claim into the note "was in
     * progress with A: &lt;note&gt;", which is longer than a note may be, and the whole file was refused.
     */
    @Test
    void anExportWithAClaimedTaskAndALongNoteImportsIntoAnotherProject() throws Exception {
        String id = cli.run(a, "task", "create", "long work", "--json").json().get("id").asString();
        assertThat(cli.run(a, "task", "claim", id).exitCode()).isZero();
        CliRunner.Result progressed = cli.run(a, "task", "progress", id, "40", "n".repeat(1_000));
        assertThat(progressed.exitCode()).as(progressed.err()).isZero();
        CliRunner.Result exported = cli.run(a, "task", "export");
        assertThat(exported.exitCode()).as(exported.err()).isZero();

        CliRunner there = new CliRunner(other);
        Map<String, String> b = there.register("B");
        CliRunner.Result imported = importText(there, b, exported.out());

        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(imported.json().get("created")).hasSize(1);
        JsonNode copy = there.run(b, "task", "show", id, "--json").json();
        assertThat(copy.get("status").asString()).isEqualTo("open");
        assertThat(copy.get("note").asString()).startsWith("was in progress with A");
    }

    /**
     * Break: a Beads file was refused as a whole for text Beads writes: a closed issue whose
     * close_reason spans lines (the note is one line), an in-progress issue with a long assignee,
     * a description with Windows line ends (CR LF).
     */
    @Test
    void aBeadsFileWithMultiLineCloseReasonsAndCrLfDescriptionsImports() throws Exception {
        String file = """
                {"id":"bd-1","title":"closed","status":"closed","close_reason":"fixed in PR 12\\nsee also PR 13"}
                {"id":"bd-2","title":"windows","description":"first line\\r\\nsecond line\\r\\n"}
                {"id":"bd-3","title":"taken","status":"in_progress","assignee":"%s"}
                """.formatted("x".repeat(1_000));

        CliRunner.Result imported = importText(cli, a, file);

        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(imported.json().get("created")).hasSize(3);
        String lines = cli.run(a, "task", "export").out();
        assertThat(lines).contains("fixed in PR 12 see also PR 13", "first line\\nsecond line");
    }
}
