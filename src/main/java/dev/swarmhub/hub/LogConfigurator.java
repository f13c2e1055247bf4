package dev.swarmhub.hub;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusListener;
import java.util.regex.Pattern;

/**
 * How every process logs until it is a hub ({@link HubLog#toFile}): warnings and errors on
 * stderr, nothing on stdout, whose --json output is exactly one document. Logback finds it through
 * {@code META-INF/services} before it would look for a logback.xml (whose parsing costs start-up
 * time) or fall back to its own default (everything at DEBUG on stdout). A CLI process that opens
 * the store initialises Logback (the SQLite driver logs through SLF4J), so this stays cheap: no
 * pattern layout (its start-up alone costs tens of ms). The lean client ({@code cli.SwarmClient})
 * logs nothing and never loads Logback.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    /** What a token looks like ({@code kernel.Tokens}): masked wherever a message or a stack trace carries one. */
    static final Pattern TOKEN = Pattern.compile("swt_[A-Za-z0-9_-]+");
    static final String TOKEN_MASK = "swt_[hidden]";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        reportProblemsOnStderr(context);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr(context, "swarm: "));
        // Flyway warns when SQLite is newer than the versions it was tested with: the store pins
        // its driver, so the warning says nothing a user can act on
        context.getLogger("org.flywaydb").setLevel(Level.ERROR);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** An appender writing each event as one line (and its stack trace) on stderr, after {@code prefix}. */
    static AppenderBase<ILoggingEvent> stderr(LoggerContext context, String prefix) {
        Stderr stderr = new Stderr(prefix);
        stderr.setContext(context);
        stderr.setName("stderr");
        stderr.start();
        return stderr;
    }

    /** {@code prefix LEVEL Logger: message}, tokens masked. */
    private static final class Stderr extends AppenderBase<ILoggingEvent> {
        private final String prefix;

        Stderr(String prefix) {
            this.prefix = prefix;
        }

        @Override
        protected void append(ILoggingEvent event) {
            String logger = event.getLoggerName();
            StringBuilder line = new StringBuilder(prefix).append(event.getLevel()).append(' ')
                    .append(logger.substring(logger.lastIndexOf('.') + 1)).append(": ").append(event.getFormattedMessage());
            IThrowableProxy failure = event.getThrowableProxy();
            if (failure != null) {
                line.append(System.lineSeparator()).append(ThrowableProxyUtil.asString(failure));
            }
            System.err.println(TOKEN.matcher(line).replaceAll(TOKEN_MASK));
        }
    }

    /**
     * Logback's own problems (a log file it cannot open) go to stderr. A context with a listener
     * is also never dumped on stdout, which Logback does after a start-up that met warnings.
     */
    static void reportProblemsOnStderr(LoggerContext context) {
        if (context.getStatusManager().getCopyOfStatusListenerList().stream().noneMatch(StderrStatus.class::isInstance)) {
            context.getStatusManager().add(new StderrStatus());
        }
    }

    /** Prints Logback's errors about itself on stderr; kept when a hub configures its log file. */
    private static final class StderrStatus implements StatusListener {
        @Override
        public void addStatusEvent(Status status) {
            if (status.getEffectiveLevel() >= Status.ERROR) {
                System.err.println("swarm: logging: " + status.getMessage()
                        + (status.getThrowable() == null ? "" : ": " + status.getThrowable()));
            }
        }

        @Override
        public boolean isResetResistant() {
            return true;
        }
    }
}
