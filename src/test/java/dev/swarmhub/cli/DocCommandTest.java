package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code swarm doc} on the command line: text starting with a list marker is text, not an option;
 * exit codes and messages of refusals; {@code doc edit} runs the user's editor and saves with the
 * version it read, and when someone changed the section meanwhile shows both versions, keeps the
 * edit in a file and overwrites nothing.
 */
class DocCommandTest {

    @TempDir
    Path project;

    private CliRunner cli;
    private Map<String, String> alice;

    @BeforeEach
    void register() {
        cli = new CliRunner(project);
        alice = cli.register("alice");
    }

    private CliRunner.Result ok(Map<String, String> environment, String... args) {
        CliRunner.Result result = cli.run(environment, args);
        assertThat(result.exitCode()).as(result.err()).isZero();
        return result;
    }

    private String text(String section) {
        return ok(alice, "doc", "show", section, "--json").json().get("sections").get(0).get("text").asString();
    }

    @Test
    void markdownLinesStartingWithADashAreTextAndRefusalsSayWhatWasWrong() {
        assertThat(ok(alice, "doc", "append", "Current Work", "- alice: parser").out()).isEqualTo(
                "section 'Current Work' at version 2 (document revision 2)\n");
        ok(alice, "doc", "append", "current work", "--not-an-option");
        assertThat(text("Current Work")).isEqualTo("- alice: parser\n--not-an-option");
        ok(alice, "doc", "remove-line", "Current Work", "- alice: parser");
        assertThat(text("Current Work")).isEqualTo("--not-an-option");
        assertThat(ok(alice, "doc", "show", "Current Work").out()).as("one section's text as it is").isEqualTo("--not-an-option\n");

        CliRunner.Result stale = cli.run(alice, "doc", "set", "Current Work", "x", "--if-version", "1");
        assertThat(stale.exitCode()).isEqualTo(3);
        assertThat(stale.err()).contains("section 'Current Work' is at version 4, not 1");
        CliRunner.Result unknown = cli.run(alice, "doc", "append", "Nowhere", "x");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("no section 'Nowhere': the sections are Sprint Goals, Current Work, Blocked");
        CliRunner.Result nobody = cli.run(Map.of(), "doc", "show");
        assertThat(nobody.exitCode()).isEqualTo(4);
        assertThat(cli.run(alice, "doc", "history", "Current Work").out()).contains("alice  doc.appended  Current Work: - alice: parser")
                .contains("doc.line-removed");
        assertThat(ok(alice, "doc", "sections").out()).containsPattern("Current Work +v4 +1 lines");
    }

    @Test
    void editSavesTheEditedSectionWithTheVersionItRead() throws Exception {
        ok(alice, "doc", "append", "Decisions", "use SQLite");
        Map<String, String> editing = withEditor("sed -i 's/SQLite/SQLite with WAL/'");
        assertThat(ok(editing, "doc", "edit", "Decisions").out()).contains("section 'Decisions' at version 3");
        assertThat(text("Decisions")).isEqualTo("use SQLite with WAL");
        assertThat(ok(withEditor("true"), "doc", "edit", "Decisions").out()).contains("no change");
        CliRunner.Result failed = cli.run(withEditor("false"), "doc", "edit", "Decisions");
        assertThat(failed.exitCode()).isEqualTo(2);
        assertThat(failed.err()).contains("the editor exited with 1: nothing saved");
    }

    @Test
    void anEditOfASectionChangedMeanwhileShowsBothVersionsAndOverwritesNothing() throws Exception {
        ok(alice, "doc", "append", "Decisions", "use SQLite");
        Path editing = project.resolve("editing");
        Path go = project.resolve("go");
        Path editor = project.resolve("editor.sh");
        // the editor says it is open, waits until the test changed the section, then edits
        Files.writeString(editor, "touch '" + editing + "'\nwhile [ ! -e '" + go + "' ]; do sleep 0.05; done\necho 'use Postgres' > \"$1\"\n");
        CompletableFuture<CliRunner.Result> edit = CompletableFuture.supplyAsync(() -> cli.run(withEditor("sh " + editor), "doc", "edit",
                "Decisions"));
        Await.until("the editor open", () -> Files.exists(editing));
        ok(cli.register("bob"), "doc", "append", "Decisions", "bob: use SQLite, decided");
        Files.createFile(go);
        CliRunner.Result refused = Await.done(edit);

        assertThat(refused.exitCode()).isEqualTo(3);
        assertThat(refused.err()).contains("changed while you edited it (version 2 -> 3, by bob): nothing was overwritten")
                .contains("--- theirs (version 3)\nuse SQLite\nbob: use SQLite, decided\n--- yours (kept in ")
                .contains("use Postgres\n---\nMerge them, then: swarm doc set 'Decisions' - --if-version 3 < ");
        assertThat(text("Decisions")).isEqualTo("use SQLite\nbob: use SQLite, decided");
        String kept = refused.err().substring(refused.err().indexOf("(kept in ") + 9, refused.err().indexOf(")\nuse Postgres"));
        assertThat(Files.readString(Path.of(kept))).isEqualTo("use Postgres\n");
        Files.delete(Path.of(kept));
    }

    private Map<String, String> withEditor(String editor) {
        Map<String, String> environment = new HashMap<>(alice);
        environment.put("EDITOR", editor);
        environment.put("VISUAL", "");
        return environment;
    }

    @Test
    void theHelpListsEveryDocCommand() {
        String help = cli.run("doc", "--help").out();
        for (String command : List.of("show", "sections", "set", "append", "remove-line", "edit", "history", "add-section", "rename-section",
                "remove-section")) {
            assertThat(help).contains("  " + command + " ");
        }
    }
}
