package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.JavaProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link CliWorker} processes of a test on one project: started ready, closed together, and the
 * line protocol's commands (acting as an agent) and answers (exit code and JSON).
 */
final class CliWorkers implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A command's exit code and its standard output (one JSON document with --json). */
    record Answer(int exitCode, String out) {
        JsonNode json() {
            return JSON.readTree(out);
        }
    }

    private final Path project;
    private final List<JavaProcess> started = new ArrayList<>();

    CliWorkers(Path project) {
        this.project = project;
    }

    /** Starts {@code count} workers on the project and waits until each is ready. */
    List<JavaProcess> start(int count) {
        return start(count, project);
    }

    /** Starts {@code count} workers on another project root (their error logs stay in the test's project). */
    List<JavaProcess> start(int count, Path root) {
        List<JavaProcess> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            JavaProcess worker = JavaProcess.start(CliWorker.class, Map.of("SWARM_ROOT", root.toString()),
                    project.resolve("worker-" + started.size() + ".err"));
            started.add(worker);
            workers.add(worker);
        }
        workers.forEach(worker -> assertThat(worker.receive()).isEqualTo("ready"));
        return workers;
    }

    static Answer answer(JavaProcess worker) {
        String[] answer = worker.receive().split("\t", 2);
        return new Answer(Integer.parseInt(answer[0]), answer.length > 1 ? answer[1] : "");
    }

    /** A command line acting as the agent (its id and token), answering in JSON. */
    static String as(Map<String, String> agent, String... command) {
        return String.join("\t", command) + "\t--agent\t" + agent.get("SWARM_AGENT") + "\t--token\t" + agent.get("SWARM_TOKEN") + "\t--json";
    }

    @Override
    public void close() throws InterruptedException {
        for (JavaProcess worker : started) {
            worker.close();
        }
    }
}
