package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs git in one directory: an argument vector (never a shell), stdin closed, a time limit,
 * stdout and stderr read apart (so a warning never mixes into parsed output).
 */
final class Git {

    static final Duration TIME_LIMIT = Duration.ofSeconds(30);

    /**
     * The variables that point git at another repository, work tree or index. A process started
     * from a git hook (a hub started by the guard's first run) inherits the hook's: git must work
     * on the directory it is given, and on an index only when one is given explicitly.
     */
    private static final List<String> REPOSITORY_VARIABLES = List.of("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
            "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_PREFIX", "GIT_IMPLICIT_WORK_TREE");

    record Result(int exitCode, String out, String err) {
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    private final Path directory;
    private final Map<String, String> environment;

    Git(Path directory) {
        this(directory, Map.of());
    }

    /** Git in {@code directory} with these variables set (such as the index a commit is being checked against). */
    Git(Path directory, Map<String, String> environment) {
        this.directory = directory;
        this.environment = environment;
    }

    /** Git's output; when git fails, a bad-input error naming the command and git's own words. */
    String output(String... args) {
        Result result = run(args);
        if (!result.succeeded()) {
            throw SwarmException.badInput("git " + String.join(" ", args) + " failed in " + directory + ": "
                    + (result.err() + result.out()).strip());
        }
        return result.out();
    }

    /** Runs git whatever its exit code; fails only when git cannot run or exceeds the time limit. */
    Result run(String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-C", directory.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        REPOSITORY_VARIABLES.forEach(builder.environment()::remove);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot run git: " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            FutureTask<String> out = readInBackground(process.getInputStream());
            FutureTask<String> err = readInBackground(process.getErrorStream());
            if (!process.waitFor(TIME_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new SwarmException(SwarmException.Kind.UNAVAILABLE, "git " + String.join(" ", args) + " in " + directory
                        + " did not finish within " + TIME_LIMIT.toSeconds() + " s");
            }
            return new Result(process.exitValue(), out.get(TIME_LIMIT.toMillis(), TimeUnit.MILLISECONDS),
                    err.get(TIME_LIMIT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (IOException | ExecutionException | TimeoutException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot read git's output: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwarmException(SwarmException.Kind.INTERNAL, "interrupted while running git");
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly); // none once git has finished
            process.destroyForcibly();
        }
    }

    private static FutureTask<String> readInBackground(InputStream stream) {
        FutureTask<String> read = new FutureTask<>(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            }
        });
        Thread.ofVirtual().name("git-output").start(read);
        return read;
    }
}
