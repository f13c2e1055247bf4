package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code swarm task export} and {@code import}: a Beads issue file becomes tasks with their
 * dependencies, parents and statuses; importing again adds nothing; an export read into another
 * project gives the same tasks and links; a bad file is refused naming its line, and stores nothing.
 */
class TaskTransferTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Epic bd-1 with child bd-1.1 (closed); bd-2 (in progress in Beads) after bd-1.1; bd-3 after bd-2 and a deleted bd-9. */
    private static final String BEADS = """
            {"id":"bd-1","title":"Epic: auth","status":"open","priority":1,"issue_type":"epic","created_at":"2025-01-09T12:00:00Z"}
            {"id":"bd-1.1","title":"Login form","status":"closed","labels":["frontend"],"close_reason":"shipped","created_at":"2025-01-09T12:01:00Z","closed_at":"2025-01-10T12:00:00Z"}
            {"id":"bd-2","title":"OAuth flow","description":"Implement OAuth2","design":"use PKCE","status":"in_progress","assignee":"bob","priority":0,"issue_type":"feature","dependencies":[{"issue_id":"bd-2","depends_on_id":"bd-1.1","type":"blocks"},{"issue_id":"bd-2","depends_on_id":"bd-1","type":"parent-child"}],"created_at":"2025-01-09T12:02:00Z"}

            {"id":"bd-3","title":"Tests","dependencies":[{"issue_id":"bd-3","depends_on_id":"bd-2","type":"blocks"},{"issue_id":"bd-3","depends_on_id":"bd-9","type":"blocks"},{"issue_id":"bd-3","depends_on_id":"bd-1","type":"related"},{"issue_id":"bd-3","depends_on_id":"bd-2","type":"conditional-blocks"}]}
            {"id":"bd-9","title":"old","status":"tombstone"}
            """;

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

    private JsonNode importFile(CliRunner runner, Map<String, String> as, String text) throws Exception {
        CliRunner.Result imported = importText(runner, as, text);
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        return imported.json();
    }

    private Map<String, JsonNode> tasksByExternalRef(CliRunner runner, Map<String, String> as) {
        Map<String, JsonNode> byRef = new java.util.TreeMap<>();
        for (String line : exportLines(runner, as)) {
            JsonNode task = JSON.readTree(line);
            byRef.put(task.get("externalRef").asString(), task);
        }
        return byRef;
    }

    private static List<String> exportLines(CliRunner runner, Map<String, String> as) {
        CliRunner.Result exported = runner.run(as, "task", "export");
        assertThat(exported.exitCode()).as(exported.err()).isZero();
        return exported.out().lines().toList();
    }

    @Test
    void aBeadsFileBecomesTasksWithTheirDependenciesParentsAndStatuses() throws Exception {
        JsonNode imported = importFile(cli, a, BEADS);

        assertThat(imported.get("created")).hasSize(4);
        assertThat(imported.get("links").asInt()).isEqualTo(3);
        assertThat(imported.get("leftOut").toString()).contains("bd-9 is deleted", "blocks dependency on deleted bd-9",
                "conditional-blocks dependency on bd-2");
        Map<String, JsonNode> tasks = tasksByExternalRef(cli, a);
        assertThat(tasks).containsOnlyKeys("beads:bd-1", "beads:bd-1.1", "beads:bd-2", "beads:bd-3");
        JsonNode epic = tasks.get("beads:bd-1");
        JsonNode login = tasks.get("beads:bd-1.1");
        JsonNode oauth = tasks.get("beads:bd-2");
        JsonNode tests = tasks.get("beads:bd-3");
        assertThat(login.get("parent").asString()).as("bd-1.1 is a child of bd-1 by its id").isEqualTo(epic.get("id").asString());
        assertThat(oauth.get("parent").asString()).as("parent-child dependency").isEqualTo(epic.get("id").asString());
        assertThat(login.get("status").asString()).isEqualTo("done");
        assertThat(login.get("note").asString()).isEqualTo("shipped");
        assertThat(login.get("closedAt").asString()).isEqualTo("2025-01-10T12:00:00Z");
        assertThat(oauth.get("status").asString()).as("claims do not travel").isEqualTo("open");
        assertThat(oauth.get("note").asString()).contains("bob");
        assertThat(oauth.get("priority").asInt()).isZero();
        assertThat(oauth.get("description").asString()).isEqualTo("Implement OAuth2\n\nDesign:\nuse PKCE");
        assertThat(oauth.get("labels").toString()).isEqualTo("[\"type:feature\"]");
        assertThat(oauth.get("after").toString()).contains(login.get("id").asString());
        assertThat(tests.get("after").toString()).isEqualTo("[\"" + oauth.get("id").asString() + "\"]");
        assertThat(tests.get("related").toString()).isEqualTo("[\"" + epic.get("id").asString() + "\"]");
        assertThat(tests.get("priority").asInt()).as("Beads' default").isEqualTo(2);
        assertThat(epic.get("createdAt").asString()).isEqualTo("2025-01-09T12:00:00Z");

        CliRunner.Result ready = cli.run(a, "task", "ready", "--json");
        List<String> readyIds = new ArrayList<>();
        ready.json().get("tasks").forEach(task -> readyIds.add(task.get("id").asString()));
        assertThat(readyIds).as("bd-1.1 is done, so bd-2 is ready; bd-3 waits for bd-2")
                .containsExactly(oauth.get("id").asString(), epic.get("id").asString());
        CliRunner.Result history = cli.run(a, "task", "show", tests.get("id").asString(), "--json");
        assertThat(history.out()).contains("task.imported", "beads:bd-3");
    }

    @Test
    void importingTheSameFileAgainAddsNothing() throws Exception {
        importFile(cli, a, BEADS);
        List<String> before = exportLines(cli, a);

        JsonNode again = importFile(cli, a, BEADS);

        assertThat(again.get("created")).isEmpty();
        assertThat(again.get("alreadyHere")).hasSize(4);
        assertThat(again.get("links").asInt()).isZero();
        assertThat(exportLines(cli, a)).isEqualTo(before);
    }

    @Test
    void anExportReadIntoAnotherProjectGivesTheSameTasksAndLinks() throws Exception {
        importFile(cli, a, BEADS);
        String first = cli.run(a, "task", "create", "Write docs", "--label", "docs", "--json").json().get("id").asString();
        assertThat(cli.run(a, "task", "claim", first).exitCode()).isZero();
        Path file = project.resolve("export.jsonl");
        CliRunner.Result written = cli.run(a, "task", "export", file.toString(), "--json");
        assertThat(written.exitCode()).as(written.err()).isZero();
        assertThat(written.json().get("tasks").asInt()).isEqualTo(5);

        CliRunner there = new CliRunner(other);
        Map<String, String> b = there.register("B");
        CliRunner.Result imported = there.run(b, "task", "import", file.toString(), "--json");
        assertThat(imported.exitCode()).as(imported.err()).isZero();

        List<JsonNode> here = exportLines(cli, a).stream().map(JSON::readTree).toList();
        List<JsonNode> copied = exportLines(there, b).stream().map(JSON::readTree).toList();
        assertThat(copied).hasSameSizeAs(here);
        for (int i = 0; i < here.size(); i++) {
            for (String field : List.of("id", "title", "description", "priority", "labels", "parent", "after", "related", "externalRef",
                    "createdAt", "closedAt")) {
                assertThat(copied.get(i).get(field)).as(field + " of " + here.get(i).get("id")).isEqualTo(here.get(i).get(field));
            }
        }
        JsonNode claimed = copied.stream().filter(task -> task.get("id").asString().equals(first)).findFirst().orElseThrow();
        assertThat(claimed.get("status").asString()).as("a claim stays in its project").isEqualTo("open");
        assertThat(claimed.get("note").asString()).contains("was in progress with A");
        assertThat(there.run(b, "task", "import", file.toString(), "--json").json().get("created")).as("idempotent by id").isEmpty();
        assertThat(there.run(b, "task", "import", project.resolve("tasks-none.jsonl").toString()).err()).contains("no file");
    }

    @Test
    void aBadFileIsRefusedNamingItsLineAndStoresNothing() throws Exception {
        String good = "{\"id\":\"bd-1\",\"title\":\"fine\"}\n";
        Map<String, String> refusals = Map.of(
                good + "{\"id\":\"bd-2\",\"title\":\"x\"\n", "line 2: not JSON",
                good + "[1, 2]\n", "line 2: not a JSON object",
                good + "{\"title\":\"no id\"}\n", "line 2: no id",
                good + "{\"id\":\"bd-2\",\"title\":\"x\",\"status\":\"wontfix\"}\n", "line 2: Beads issue bd-2 has status 'wontfix'",
                good + "{\"id\":\"bd-2\",\"title\":\"x\",\"priority\":7}\n", "task beads:bd-2: priority 7 is out of range",
                good + "{\"id\":\"bd-2\",\"title\":\"\"}\n", "task beads:bd-2: no title given",
                good + "{\"id\":\"bd-2\",\"title\":\"x\",\"dependencies\":[{\"depends_on_id\":\"bd-7\",\"type\":\"blocks\"}]}\n",
                "task beads:bd-2: its blocker beads:bd-7 is neither in the file nor in the queue",
                good + "{\"id\":\"bd-2\",\"title\":\"x\",\"created_at\":\"yesterday\"}\n", "line 2: created_at 'yesterday' is no ISO 8601 time",
                good + good, "task beads:bd-1 is in the file twice",
                "{\"id\":\"bd-1\",\"title\":\"a\",\"dependencies\":[{\"depends_on_id\":\"bd-2\",\"type\":\"blocks\"}]}\n"
                        + "{\"id\":\"bd-2\",\"title\":\"b\",\"dependencies\":[{\"depends_on_id\":\"bd-1\",\"type\":\"blocks\"}]}\n",
                "that would close the cycle");
        Path file = project.resolve("bad.jsonl");
        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            Files.writeString(file, refusal.getKey());
            CliRunner.Result refused = cli.run(a, "task", "import", file.toString());
            assertThat(refused.exitCode()).as(refusal.getValue()).isEqualTo(2);
            assertThat(refused.err()).contains(refusal.getValue());
            assertThat(exportLines(cli, a)).as("nothing stored after: " + refusal.getValue()).isEmpty();
        }
    }

    // ------------------------------------------ breaks found by the attack review, kept fixed

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
