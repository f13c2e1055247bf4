package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import dev.swarmhub.kernel.Tokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * The hub's log file as {@link HubLog} configures it, on a logger context of the test's own (the
 * process's stays as it is): rotated at its size limit into a fixed number of files, each 0600,
 * and tokens masked.
 */
class HubLogTest {

    private static final long LIMIT = 2_000;
    private static final int FILES = 5;

    @TempDir
    Path swarm;

    private final LoggerContext context = new LoggerContext();

    @BeforeEach
    void start() {
        context.setMDCAdapter(new LogbackMDCAdapter()); // as Logback's SLF4J provider sets it on the process's context
        context.start();
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void theLogIsRotatedAtItsSizeLimitIntoFiveFilesEachTheOwnersOnly() throws IOException {
        Path log = swarm.resolve("hub.log");
        assertThat(HubLog.configure(context, log, LIMIT, FILES, false)).isTrue();
        Logger logger = context.getLogger("test");
        long longestLine = 0;
        int line = 0;
        while (!Files.exists(swarm.resolve("hub.log.1"))) {
            long before = Files.size(log);
            logger.info("line {} of the first file", ++line);
            longestLine = Math.max(longestLine, Files.size(log) - before);
            assertThat(line).as("lines written before hub.log was rotated").isLessThan(1_000);
        }
        long rotatedSize = Files.size(swarm.resolve("hub.log.1"));
        assertThat(rotatedSize).as("hub.log.1: rotated once it reached the limit, not before nor long after")
                .isBetween(LIMIT, LIMIT + longestLine);
        assertThat(Files.readString(log)).as("the new hub.log: the line that found the old one full").contains("line " + line + " of");

        for (int i = 0; i < 200; i++) { // several times around the window of files
            logger.info("line {} of many, long enough to fill files quickly: {}", i, "x".repeat(100));
        }
        assertThat(names()).containsExactly("hub.log", "hub.log.1", "hub.log.2", "hub.log.3", "hub.log.4");
        for (String name : names()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(swarm.resolve(name)))).as(name).isEqualTo("rw-------");
            assertThat(Files.size(swarm.resolve(name))).as(name).isLessThan(LIMIT + longestLine + 200);
        }
    }

    @Test
    void aLogFileThatExistedKeepsItsLinesAndIsAppendedTo() throws IOException {
        Path log = swarm.resolve("hub.log");
        Files.writeString(log, "a line of an earlier hub\n");
        assertThat(HubLog.configure(context, log, LIMIT, FILES, false)).isTrue();
        context.getLogger("test").warn("a line of this one");
        assertThat(Files.readAllLines(log)).hasSize(2).first().isEqualTo("a line of an earlier hub");
        assertThat(Files.readAllLines(log).get(1)).contains("WARN", "test: a line of this one");
    }

    @Test
    void tokensAreMaskedInMessagesAndStackTraces() throws IOException {
        Path log = swarm.resolve("hub.log");
        assertThat(HubLog.configure(context, log, LIMIT * 100, FILES, false)).isTrue();
        String token = Tokens.newToken();
        String other = Tokens.newToken();
        context.getLogger("test").error("a message naming {}", token, new IllegalStateException("a failure naming " + other));
        String written = Files.readString(log);
        assertThat(written).doesNotContain(token).doesNotContain(other.substring(4))
                .contains("a message naming swt_[hidden]", "IllegalStateException: a failure naming swt_[hidden]", "at dev.swarmhub.hub.HubLogTest");
        assertThat(written.split("IllegalStateException", -1)).as("the stack trace, written once").hasSize(2);
    }

    @Test
    void aLogFileThatCannotBeWrittenLeavesWarningsOnStderr() throws IOException {
        Path notADirectory = Files.writeString(swarm.resolve("file"), "");
        assertThat(HubLog.configure(context, notADirectory.resolve("hub.log"), LIMIT, FILES, false)).isFalse();
        assertThat(context.getLogger("test").isWarnEnabled()).isTrue();
        assertThat(context.getLogger("test").isInfoEnabled()).isFalse();
    }

    @Test
    void aProcessThatIsNoHubWritesWarningsOnlyAndOnStderrWithTokensMasked() {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String token = Tokens.newToken();
        try {
            LogConfigurator configurator = new LogConfigurator();
            configurator.setContext(context);
            configurator.configure(context);
            context.getLogger("dev.swarmhub.store.SomeStore").info("not shown: below WARN");
            context.getLogger("dev.swarmhub.store.SomeStore").warn("shown, naming {}", token);
            context.getLogger("org.flywaydb.core.Flyway").warn("not shown: Flyway's version warnings");
        } finally {
            System.setErr(original);
        }
        assertThat(stderr.toString(StandardCharsets.UTF_8)).isEqualTo("swarm: WARN SomeStore: shown, naming swt_[hidden]" + System.lineSeparator());
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(swarm)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}
