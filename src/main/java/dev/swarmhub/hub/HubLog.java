package dev.swarmhub.hub;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.Duration;
import ch.qos.logback.core.util.FileSize;
import dev.swarmhub.store.PrivateFiles;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * The hub's own log, {@code .swarm/hub.log}: what the hub did and what went wrong (starts and
 * stops, refused and slow requests, failed typings and sweeps, internal errors with their stack
 * traces), at INFO and above, by the hub process alone (configured once it holds the hub lock, so
 * a second {@code swarm up} that is refused never writes or rotates it). Rotated by size: at
 * {@value #DEFAULT_MAX_BYTES} bytes it becomes hub.log.1 (hub.log.1 becomes .2, and so on), and
 * {@value #FILES} files are kept. Every file is created 0600, as everything in .swarm/. Tokens
 * never reach it: nothing logs a header or a body, and whatever looks like a token is masked.
 */
public final class HubLog {

    /** Bytes at which hub.log is rotated (default 10 MB); for tests and for operators who want another size. */
    public static final String MAX_SIZE_PROPERTY = "swarm.hub.log.max-size";
    /** Set on a hub started in the background, whose stderr is .swarm/hub.out: its warnings go to hub.log only. */
    public static final String DETACHED_PROPERTY = "swarm.hub.detached";
    static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
    /** hub.log and hub.log.1 to .4. */
    static final int FILES = 5;
    /**
     * Time, level, logger, then the message and its stack trace with anything shaped like a token
     * ({@code swt_...}) masked; {@code %nopex} stops Logback from appending the stack trace a
     * second time, unmasked.
     */
    static final String LINE = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}: "
            + "%replace(%msg%n%ex){'" + LogConfigurator.TOKEN.pattern() + "', '" + LogConfigurator.TOKEN_MASK + "'}%nopex";

    private HubLog() {
    }

    /**
     * Sends this process's log to the project's .swarm/hub.log (and, with {@code echoWarnings},
     * its warnings to stderr as well: a hub in the foreground). Called by {@code swarm up} once
     * its hub holds the lock.
     */
    public static void toFile(Path root, boolean echoWarnings) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            System.err.println("swarm hub: not logging to " + HubFiles.log(root) + ": SLF4J is bound to "
                    + LoggerFactory.getILoggerFactory().getClass().getName() + ", not Logback");
            return;
        }
        long maxBytes = Long.getLong(MAX_SIZE_PROPERTY, DEFAULT_MAX_BYTES);
        if (!configure(context, HubFiles.log(root), maxBytes, FILES, echoWarnings)) {
            System.err.println("swarm hub: cannot write " + HubFiles.log(root) + " (see the errors above): logging to stderr");
        }
    }

    /**
     * Configures the context to write {@code file} rotated at {@code maxBytes} into {@code files}
     * files; returns whether the file is being written (else the context logs warnings to stderr).
     */
    static boolean configure(LoggerContext context, Path file, long maxBytes, int files, boolean echoWarnings) {
        context.reset();
        LogConfigurator.reportProblemsOnStderr(context);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(LINE);
        encoder.start();
        PrivateFileAppender appender = new PrivateFileAppender();
        appender.setContext(context);
        appender.setName("hub.log");
        appender.setFile(file.toString());
        appender.setEncoder(encoder);
        FixedWindowRollingPolicy rolling = new FixedWindowRollingPolicy();
        rolling.setContext(context);
        rolling.setParent(appender);
        rolling.setFileNamePattern(file.toString().replace("%", "\\%") + ".%i");
        rolling.setMinIndex(1);
        rolling.setMaxIndex(files - 1);
        rolling.start();
        SizeBasedTriggeringPolicy<ILoggingEvent> bySize = new SizeBasedTriggeringPolicy<>();
        bySize.setContext(context);
        bySize.setMaxFileSize(new FileSize(maxBytes));
        bySize.setCheckIncrement(Duration.buildByMilliseconds(0)); // every line (a stat): Logback's default looks once a minute
        bySize.start();
        appender.setRollingPolicy(rolling);
        appender.setTriggeringPolicy(bySize);
        appender.start();
        boolean toFile = appender.isStarted();
        if (toFile) {
            root.setLevel(Level.INFO);
            root.addAppender(appender);
        } else {
            root.setLevel(Level.WARN);
        }
        if (echoWarnings || !toFile) {
            AppenderBase<ILoggingEvent> stderr = LogConfigurator.stderr(context, "swarm hub: ");
            ThresholdFilter warnings = new ThresholdFilter();
            warnings.setLevel(Level.WARN.levelStr);
            warnings.start();
            stderr.addFilter(warnings);
            root.addAppender(stderr);
        }
        return toFile;
    }

    /** Writes its file created 0600 (the first one and each one after a rotation), as everything in .swarm/ is. */
    private static final class PrivateFileAppender extends RollingFileAppender<ILoggingEvent> {
        @Override
        public void openFile(String fileName) throws IOException {
            PrivateFiles.file(Path.of(fileName));
            super.openFile(fileName);
        }
    }
}
