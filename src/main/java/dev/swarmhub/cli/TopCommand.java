package dev.swarmhub.cli;

import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageOperations;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.processes.ProcessOperations;
import dev.swarmhub.tasks.TaskOperations;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm top}: the swarm at a glance in the terminal, full screen (JLine), drawn again when the
 * event log grows (looked at every {@value #LOOK_MS} ms) and every second for the clocks. The terminal
 * is put back as it was on q, Ctrl-C and on the process's end. Output that is no terminal gets plain
 * text: once with --once, else every --interval.
 */
@ClientSide.RunsInClient
@Command(name = "top", description = {"A live view of the swarm in the terminal: agents, leases with time left and waiters, messages, tasks, processes.",
        "Keys: 1-5 or Tab switch view, / filter, Esc clear the filter, q quit. Not a terminal: plain text every --interval (or --once)."})
final class TopCommand implements Callable<Integer> {

    private static final long LOOK_MS = 200;
    private static final long CLOCK_MS = 1000;
    private static final int ESC = 27;

    @ParentCommand
    Swarm swarm;

    @Option(names = "--once", description = "Print the whole swarm once as plain text and exit.")
    boolean once;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "2s", description = "Plain text: pause between prints (default 2s).")
    String interval;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Duration pause = LockCommand.duration("--interval", interval);
        Caller caller = swarm.localOperator().orElseGet(swarm::agentCaller); // an agent sees what agents see
        boolean operator = caller.operator();
        try (CommandServices services = swarm.services()) {
            if (once) {
                swarm.output.line(TopScreen.plain(read(services, caller, operator)).stripTrailing());
                return 0;
            }
            // stdout must be the terminal: redirected output gets plain text even from a terminal's shell
            try (Terminal terminal = TerminalBuilder.builder().system(true)
                    .systemOutput(TerminalBuilder.SystemOutput.SysOut).dumb(true).build()) {
                if (terminal.getType().startsWith(Terminal.TYPE_DUMB)) {
                    while (true) { // until interrupted, as `log --follow`
                        swarm.output.line("--- " + Instant.now() + "\n" + TopScreen.plain(read(services, caller, operator)).stripTrailing());
                        Thread.sleep(pause.toMillis()); // a pause between prints for a reader, not a synchronisation
                    }
                }
                new Screen(terminal, () -> read(services, caller, operator), () -> newestEvent(services)).run();
            }
        }
        return 0;
    }

    private static long newestEvent(CommandServices services) {
        List<Event> newest = services.log.latest(null, null, 1);
        return newest.isEmpty() ? 0 : newest.getFirst().id();
    }

    private static TopScreen.Snapshot read(CommandServices services, Caller caller, boolean operator) {
        long lastEvent = newestEvent(services);
        List<Message> messages = operator ? services.messageEndpoints.recent.callCommitted(caller, new MessageOperations.Recent(null, 200))
                .stream().map(Messages.View::message).toList() : null;
        return new TopScreen.Snapshot(System.currentTimeMillis(), lastEvent,
                services.agentEndpoints.list.callCommitted(caller, new AgentOperations.Listing(false, false)),
                services.leaseEndpoints.holders.callCommitted(caller, new LeaseOperations.Holders(null, false)),
                services.leaseEndpoints.waiters.callCommitted(caller, new LeaseOperations.Queues()), messages, services.messages.awaitingAck(),
                services.taskEndpoints.list.callCommitted(caller, new TaskOperations.Listing(null, null, null, null, null, null, 500)),
                services.processEndpoints.list.callCommitted(caller, new ProcessOperations.Listing(null, null, null, 200)));
    }

    /** The full-screen loop on a real terminal. */
    private static final class Screen {
        private final Terminal terminal;
        private final Supplier<TopScreen.Snapshot> reader;
        private final LongSupplier newest;
        private final AtomicBoolean quit = new AtomicBoolean();
        private final AtomicBoolean resized = new AtomicBoolean();
        private TopScreen.View view = TopScreen.View.AGENTS;
        private String filter = "";
        /** Non-null while the filter is being typed. */
        private StringBuilder typing;

        Screen(Terminal terminal, Supplier<TopScreen.Snapshot> reader, LongSupplier newest) {
            this.terminal = terminal;
            this.reader = reader;
            this.newest = newest;
        }

        void run() throws IOException {
            Attributes saved = terminal.enterRawMode();
            Thread restoreOnExit = new Thread(() -> restore(saved), "swarm top: restore the terminal");
            Runtime.getRuntime().addShutdownHook(restoreOnExit); // a TERM or HUP ends the JVM: the terminal is put back even then
            terminal.handle(Terminal.Signal.INT, signal -> quit.set(true));
            terminal.handle(Terminal.Signal.WINCH, signal -> resized.set(true));
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.cursor_invisible);
            try {
                loop();
            } finally {
                restore(saved);
                Runtime.getRuntime().removeShutdownHook(restoreOnExit);
            }
        }

        private void loop() throws IOException {
            NonBlockingReader keys = terminal.reader();
            TopScreen.Snapshot snapshot = reader.get();
            draw(snapshot);
            long drawnAt = System.nanoTime();
            while (!quit.get()) {
                int key = keys.read(LOOK_MS);
                boolean changed = key >= 0 && press(key, keys);
                boolean clock = System.nanoTime() - drawnAt >= CLOCK_MS * 1_000_000;
                if (changed || clock || resized.getAndSet(false) || newest.getAsLong() != snapshot.lastEvent()) {
                    if (clock || newest.getAsLong() != snapshot.lastEvent()) {
                        snapshot = reader.get();
                    }
                    draw(snapshot);
                    drawnAt = System.nanoTime();
                }
                if (key == NonBlockingReader.EOF) {
                    quit.set(true);
                }
            }
        }

        /** Acts on a key; whether the screen changed. */
        private boolean press(int key, NonBlockingReader keys) throws IOException {
            if (typing != null) {
                switch (key) {
                    case '\r', '\n' -> {
                        filter = typing.toString();
                        typing = null;
                    }
                    case ESC -> typing = null;
                    case 127, 8 -> typing.setLength(Math.max(0, typing.length() - 1));
                    default -> {
                        if (key >= ' ' && typing.length() < 80) {
                            typing.appendCodePoint(key);
                        }
                    }
                }
                return true;
            }
            TopScreen.View[] views = TopScreen.View.values();
            switch (key) {
                case 'q', 'Q', 3 -> quit.set(true);
                case '\t' -> view = views[(view.ordinal() + 1) % views.length];
                case '/' -> typing = new StringBuilder();
                case ESC -> {
                    int next = keys.read(20); // an arrow key is ESC [ C / ESC [ D; Esc alone clears the filter
                    if (next == '[') {
                        int arrow = keys.read(20);
                        view = arrow == 'C' ? views[(view.ordinal() + 1) % views.length]
                                : arrow == 'D' ? views[(view.ordinal() + views.length - 1) % views.length] : view;
                    } else {
                        filter = "";
                    }
                }
                default -> {
                    if (key >= '1' && key < '1' + views.length) {
                        view = views[key - '1'];
                    } else {
                        return false;
                    }
                }
            }
            return true;
        }

        private void draw(TopScreen.Snapshot snapshot) {
            Size size = terminal.getSize();
            int width = Math.max(20, size.getColumns());
            int height = Math.max(3, size.getRows());
            PrintWriter out = terminal.writer();
            terminal.puts(Capability.cursor_home);
            terminal.puts(Capability.enter_reverse_mode);
            out.print(cut(TopScreen.header(snapshot, view, filter), width));
            terminal.puts(Capability.exit_attribute_mode);
            terminal.puts(Capability.clr_eol);
            List<String> lines = TopScreen.lines(snapshot, view, filter);
            for (int row = 1; row < height - 1; row++) {
                out.print("\r\n");
                if (row - 1 < lines.size()) {
                    out.print(cut(lines.get(row - 1), width));
                }
                terminal.puts(Capability.clr_eol);
            }
            out.print("\r\n");
            out.print(cut(typing != null ? "filter: " + typing + "_" : lines.size() > height - 2 ? TopScreen.keys() + " · "
                    + (lines.size() - height + 2) + " more lines: filter to see them" : TopScreen.keys(), width));
            terminal.puts(Capability.clr_eol);
            out.flush();
        }

        private void restore(Attributes saved) {
            synchronized (this) {
                terminal.puts(Capability.exit_attribute_mode);
                terminal.puts(Capability.cursor_visible);
                terminal.puts(Capability.exit_ca_mode);
                terminal.flush();
                terminal.setAttributes(saved);
            }
        }

        private static String cut(String line, int width) {
            return line.length() <= width ? line : line.substring(0, width);
        }
    }
}
