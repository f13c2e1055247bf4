package dev.swarmhub.cli;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.Waiter;
import dev.swarmhub.messages.Message;
import dev.swarmhub.processes.Run;
import dev.swarmhub.tasks.Task;
import dev.swarmhub.tasks.Tasks;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@code swarm top} shows: the swarm read at one moment, and its views as lines of text, cut
 * to the terminal's width. Plain Java over the domain's records, so the terminal code only draws.
 */
final class TopScreen {

    enum View {
        AGENTS("Agents"), LEASES("Leases"), MESSAGES("Messages"), TASKS("Tasks"), PROCESSES("Processes");

        final String title;

        View(String title) {
            this.title = title;
        }
    }

    /** The swarm as read at {@code now} (epoch ms); messages only when the operator reads (else null). */
    record Snapshot(long now, long lastEvent, List<Agents.Listed> agents, List<Lease> leases, List<Waiter> waiters,
                    List<Message> messages, long awaitingAck, List<Tasks.View> tasks, List<Run> processes) {
    }

    private static final Map<Agent.Activity, Integer> NEEDS_FIRST = Map.of(Agent.Activity.WAITING_FOR_INPUT, 0, Agent.Activity.STALLED, 1,
            Agent.Activity.WORKING, 2, Agent.Activity.IDLE, 3);

    private TopScreen() {
    }

    /** The header line: views (the shown one in brackets), counts, and the keys. */
    static String header(Snapshot snapshot, View shown, String filter) {
        StringBuilder line = new StringBuilder("swarm top  ");
        for (View view : View.values()) {
            String name = (view.ordinal() + 1) + " " + view.title;
            line.append(view == shown ? "[" + name + "]" : " " + name + " ").append(' ');
        }
        long needing = snapshot.agents().stream().filter(listed -> needsHuman(listed.agent())).count();
        line.append(" | ").append(snapshot.agents().stream().filter(l -> l.agent().status() != Agent.Status.GONE).count()).append(" agents");
        if (needing > 0) {
            line.append(", ").append(needing).append(" need you");
        }
        line.append(", ").append(snapshot.leases().size()).append(" leases, ").append(snapshot.waiters().size()).append(" waiting, ")
                .append(snapshot.awaitingAck()).append(" acks awaited");
        line.append(filter.isEmpty() ? "" : " | filter: " + filter);
        return line.toString();
    }

    static String keys() {
        return "keys: 1-5 or Tab switch view · / filter · Esc clear filter · q quit";
    }

    /** The view's lines (a title row first), those matching the filter (any column, ignoring case). */
    static List<String> lines(Snapshot snapshot, View view, String filter) {
        List<String> rows = switch (view) {
            case AGENTS -> agents(snapshot);
            case LEASES -> leases(snapshot);
            case MESSAGES -> messages(snapshot);
            case TASKS -> tasks(snapshot);
            case PROCESSES -> processes(snapshot);
        };
        List<String> shown = new ArrayList<>();
        shown.add(rows.getFirst());
        String wanted = filter.toLowerCase(Locale.ROOT);
        rows.stream().skip(1).filter(row -> wanted.isEmpty() || row.toLowerCase(Locale.ROOT).contains(wanted)).forEach(shown::add);
        if (shown.size() == 1) {
            shown.add(rows.size() == 1 ? "  (none)" : "  (none matches the filter)");
        }
        return shown;
    }

    /** The whole swarm as plain text, every view in turn, for output that is not a terminal. */
    static String plain(Snapshot snapshot) {
        StringBuilder text = new StringBuilder(header(snapshot, null, "")).append('\n');
        for (View view : View.values()) {
            text.append('\n').append(view.title).append('\n');
            lines(snapshot, view, "").forEach(line -> text.append(line).append('\n'));
        }
        return text.toString();
    }

    static boolean needsHuman(Agent agent) {
        return agent.status() != Agent.Status.GONE && agent.activity() == Agent.Activity.WAITING_FOR_INPUT;
    }

    private static List<String> agents(Snapshot snapshot) {
        List<String> rows = new ArrayList<>(List.of(row("AGENT", 22, "KIND", 7, "STATUS", 7, "DOING", 18, "PANE", 6, "LAST SEEN", 10, "LEASES", 0)));
        snapshot.agents().stream().sorted(Comparator.<Agents.Listed>comparingInt(l -> l.agent().status().ordinal())
                        .thenComparingInt(l -> l.agent().activity() == null ? 4 : NEEDS_FIRST.get(l.agent().activity()))
                        .thenComparing(l -> l.agent().id()))
                .forEach(listed -> {
                    Agent agent = listed.agent();
                    rows.add(row((needsHuman(agent) ? "! " : "  ") + agent.id(), 22, agent.kind(), 7, agent.status().label(), 7,
                            agent.activity() == null ? "-" : agent.activity().label(), 18, agent.pane() == null ? "-" : agent.pane(), 6,
                            ago(snapshot.now(), agent.lastSeen()), 10, String.join(" ", listed.leases()), 0));
                });
        return rows;
    }

    private static List<String> leases(Snapshot snapshot) {
        List<String> rows = new ArrayList<>(List.of(row("RESOURCE", 30, "HOLDER", 16, "MODE", 10, "TOKEN", 18, "LEFT", 9, "WAITERS (FIFO)", 0)));
        Map<String, List<Waiter>> queues = snapshot.waiters().stream().collect(Collectors.groupingBy(w -> w.resource().text()));
        for (Lease lease : snapshot.leases()) {
            List<Waiter> queue = queues.getOrDefault(lease.resource().text(), List.of());
            rows.add(row(lease.resource().text(), 30, lease.agent(), 16, lease.mode().label(), 10, Long.toString(lease.token()), 18,
                    left(snapshot.now(), lease.expiresAt()), 9, queue.stream().map(Waiter::agent).collect(Collectors.joining(" ")), 0));
        }
        snapshot.waiters().stream().filter(w -> snapshot.leases().stream().noneMatch(l -> l.resource().equals(w.resource())))
                .forEach(w -> rows.add(row(w.resource().text(), 30, "(free)", 16, w.mode().label(), 10, "", 18, "", 9, w.agent(), 0)));
        return rows;
    }

    private static List<String> messages(Snapshot snapshot) {
        List<String> rows = new ArrayList<>(List.of(row("SENT", 10, "FROM", 16, "TO", 24, "TYPE", 16, "UNREAD/UNACKED", 16, "TEXT", 0)));
        if (snapshot.messages() == null) {
            rows.add("  (messages are the operator's to read: run swarm top with the operator's token, not as an agent)");
            return rows;
        }
        for (Message message : snapshot.messages()) {
            long unread = message.recipients().stream().filter(r -> r.readAt() == null).count();
            long unacked = message.ackRequired() ? message.recipients().stream().filter(r -> r.ackedAt() == null).count() : 0;
            rows.add(row(ago(snapshot.now(), message.createdAt()), 10, message.sender(), 16,
                    message.recipients().stream().map(Message.Recipient::agent).collect(Collectors.joining(",")), 24, message.type().label(), 16,
                    unread + "/" + unacked, 16, oneLine(message.text()), 0));
        }
        return rows;
    }

    private static List<String> tasks(Snapshot snapshot) {
        List<String> rows = new ArrayList<>(List.of(row("ID", 10, "STATUS", 12, "P", 2, "ASSIGNEE", 16, "PROGRESS", 9, "TITLE", 0)));
        Function<Tasks.View, Integer> order = view -> switch (view.status()) {
            case IN_PROGRESS -> 0;
            case OPEN -> 1;
            case BLOCKED -> 2;
            default -> 3;
        };
        snapshot.tasks().stream().sorted(Comparator.comparing(order).thenComparingInt(v -> v.task().priority())).forEach(view -> {
            Task task = view.task();
            rows.add(row(task.id().substring(0, 8), 10, view.status() == Task.Status.OPEN ? "ready" : view.status().label(), 12,
                    Integer.toString(task.priority()), 2, task.assignee() == null ? "-" : task.assignee(), 16, task.progress() + "%", 9,
                    oneLine(task.title()), 0));
        });
        return rows;
    }

    private static List<String> processes(Snapshot snapshot) {
        List<String> rows = new ArrayList<>(List.of(row("AGENT", 20, "STATE", 9, "PID", 8, "UPTIME", 9, "EXIT", 6, "COST", 8, "COMMAND", 0)));
        for (Run run : snapshot.processes()) {
            Long since = run.startedAt();
            long until = run.endedAt() == null ? snapshot.now() : run.endedAt();
            rows.add(row(run.agent(), 20, run.state().label(), 9, run.pid() == null ? "-" : run.pid().toString(), 8,
                    since == null ? "-" : duration(until - since), 9, run.exitCode() == null ? "-" : run.exitCode().toString(), 6,
                    run.usage().costUsd() == null ? "-" : String.format(Locale.ROOT, "$%.2f", run.usage().costUsd()), 8,
                    oneLine(String.join(" ", run.spec().command())), 0));
        }
        return rows;
    }

    /** Columns of text and widths (0: the rest of the line), each padded or cut to its width. */
    private static String row(Object... cells) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i += 2) {
            String text = oneLine(String.valueOf(cells[i]));
            int width = (Integer) cells[i + 1];
            if (width == 0) {
                line.append(text);
            } else {
                line.append(text.length() >= width ? text.substring(0, width - 1) + " " : text + " ".repeat(width - text.length()));
            }
        }
        return line.toString().stripTrailing();
    }

    /** Agents' text on one line, without control characters (which could move the cursor or change the terminal). */
    static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder clean = new StringBuilder(text.length());
        text.codePoints().forEach(c -> clean.appendCodePoint(Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? ' ' : c));
        return clean.toString();
    }

    static String ago(long now, long then) {
        return duration(Math.max(0, now - then)) + " ago";
    }

    private static String left(long now, long expiresAt) {
        return expiresAt <= now ? "expired" : duration(expiresAt - now);
    }

    private static String duration(long millis) {
        long seconds = millis / 1000;
        return seconds < 120 ? seconds + "s" : seconds < 7200 ? seconds / 60 + "m" : seconds / 3600 + "h";
    }
}
