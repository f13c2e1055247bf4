package dev.swarmhub.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Runs the CLI in-process against one project, as a test's agents would from a shell. */
final class CliRunner {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    record Result(int exitCode, String out, String err) {
        JsonNode json() {
            return JSON.readTree(out);
        }
    }

    private final Path project;
    private final Path workingDirectory;

    CliRunner(Path project) {
        this(project, project);
        dev.swarmhub.testing.TestStores.prepare(project);
    }

    private CliRunner(Path project, Path workingDirectory) {
        this.project = project;
        this.workingDirectory = workingDirectory;
    }

    /** The same project, with commands run from {@code directory}. */
    CliRunner from(Path directory) {
        return new CliRunner(project, directory);
    }

    Result run(Map<String, String> environment, String... args) {
        Map<String, String> withRoot = new HashMap<>(environment);
        withRoot.putIfAbsent("SWARM_ROOT", project.toString());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Swarm.run(args, withRoot, workingDirectory, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    Result run(String... args) {
        return run(Map.of(), args);
    }

    /** Registers an agent and returns the environment that acts as it. */
    Map<String, String> register(String id) {
        Result registered = run("agent", "register", "--id", id, "--json");
        if (registered.exitCode() != 0) {
            throw new IllegalStateException("cannot register " + id + ": " + registered.err());
        }
        return Map.of("SWARM_AGENT", id, "SWARM_TOKEN", registered.json().get("token").asString());
    }

    String operatorToken() {
        Result settings = run("config"); // creates the project's store and operator token on first use
        if (settings.exitCode() != 0) {
            throw new IllegalStateException(settings.err());
        }
        return dev.swarmhub.host.OperatorToken.readOrCreate(project);
    }
}
