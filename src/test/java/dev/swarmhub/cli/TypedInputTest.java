package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input as users type it: paths relative to where they are, durations with units, misspellings, help and completion. */
class TypedInputTest {

    @TempDir
    Path project;

    private CliRunner cli;
    private Map<String, String> agent;

    @BeforeEach
    void register() {
        cli = new CliRunner(project);
        agent = cli.register("A");
    }

    @Test
    void aRelativePathIsRelativeToTheWorkingDirectoryAndShownFromTheRoot() throws Exception {
        Path auth = Files.createDirectories(project.resolve("src/auth"));
        CliRunner inAuth = cli.from(auth);

        CliRunner.Result acquired = inAuth.run(agent, "lock", "acquire", "jwt.py", "../util/*.py", "--json");
        assertThat(acquired.exitCode()).as(acquired.err()).isZero();
        assertThat(acquired.json().get("leases").findValuesAsString("resource")).containsExactly("src/auth/jwt.py", "src/util/*.py");

        CliRunner.Result who = cli.from(project.resolve("src")).run(agent, "lock", "who", "auth/jwt.py", "--json");
        assertThat(who.out()).contains("\"agent\":\"A\"");
        assertThat(inAuth.run(agent, "lock", "release", "jwt.py", "--json").out()).contains("src/auth/jwt.py");
        assertThat(cli.run(agent, "lock", "list", "--json").out()).doesNotContain("src/auth/jwt.py").contains("src/util/*.py");
    }

    @Test
    void namesAbsolutePathsAndPathsLeavingTheProjectAreReadAsBefore() throws Exception {
        Path src = Files.createDirectories(project.resolve("src"));
        CliRunner inSrc = cli.from(src);
        CliRunner.Result named = inSrc.run(agent, "lock", "acquire", "name:build", project.resolve("README.md").toString(), "--json");
        assertThat(named.json().get("leases").findValuesAsString("resource")).containsExactly("name:build", "README.md");

        CliRunner.Result outside = inSrc.run(agent, "lock", "acquire", "../../elsewhere.py");
        assertThat(outside.exitCode()).isEqualTo(2);
        assertThat(outside.err()).contains("path leaves the project root");
    }

    @Test
    void aBareNumberAsADurationIsRefusedAndNothingIsLeased() {
        CliRunner.Result bare = cli.run(agent, "lock", "acquire", "a.py", "--ttl", "10");
        assertThat(bare.exitCode()).isEqualTo(2);
        assertThat(bare.err()).contains("option '--ttl'").contains("needs a unit: 10s, 10m or 10h");

        CliRunner.Result split = cli.run(agent, "lock", "acquire", "--ttl=10", "min");
        assertThat(split.exitCode()).as("--ttl=10 min must not lease a file named min").isEqualTo(2);
        assertThat(cli.run(agent, "lock", "list", "--json").json().get("leases")).isEmpty();

        assertThat(cli.run(agent, "lock", "acquire", "a.py", "--ttl", "10m").exitCode()).isZero();
    }

    @Test
    void misspelledCommandsAndOptionsGetSuggestions() {
        CliRunner.Result command = cli.run(agent, "lock", "aquire", "a.py");
        assertThat(command.exitCode()).isEqualTo(2);
        assertThat(command.err()).contains("did you mean").contains("acquire");

        CliRunner.Result option = cli.run(agent, "lock", "acquire", "a.py", "--tll", "10s");
        assertThat(option.exitCode()).isEqualTo(2);
        assertThat(option.err()).contains("did you mean").contains("--ttl");
    }

    @Test
    void editsCountTranspositionsAsOne() {
        assertThat(Swarm.editDistance("--tll", "--ttl")).isEqualTo(1);
        assertThat(Swarm.editDistance("aquire", "acquire")).isEqualTo(1);
        assertThat(Swarm.editDistance("relase", "release")).isEqualTo(1);
        assertThat(Swarm.editDistance("lock", "lock")).isZero();
        assertThat(Swarm.editDistance("abc", "xyz")).isEqualTo(3);
        assertThat(Swarm.editDistance("", "ps")).isEqualTo(2);
        CliRunner.Result far = cli.run(agent, "lock", "zzzzzz");
        assertThat(far.exitCode()).isEqualTo(2);
        assertThat(far.err()).doesNotContain("did you mean");
    }

    @Test
    void helpListsEveryGlobalOption() {
        CliRunner.Result help = cli.run("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--root", "--agent", "--token", "--json", "--no-hub", "--help", "--version");
    }

    @Test
    void completionScriptsCoverCommandsAndOptions() {
        CliRunner.Result bash = cli.run("completion", "bash");
        assertThat(bash.exitCode()).as(bash.err()).isZero();
        assertThat(bash.out()).contains("complete -F").contains("acquire").contains("--ttl").contains("--no-hub");
        CliRunner.Result zsh = cli.run("completion", "zsh");
        assertThat(zsh.out()).startsWith("autoload -U +X compinit").contains("bashcompinit").contains("acquire");
        assertThat(cli.run("completion", "fish").exitCode()).isEqualTo(2);
    }
}
