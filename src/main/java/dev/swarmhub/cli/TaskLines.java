package dev.swarmhub.cli;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.kernel.Ids;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.tasks.Task;
import dev.swarmhub.tasks.TaskStore;
import dev.swarmhub.tasks.TaskTransfer;
import dev.swarmhub.tasks.Tasks;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Tasks as JSON Lines, one task per line: this queue's own export (ids as they are, blockers as
 * {@code after}), and, read only, a Beads issue file ({@code .beads/issues.jsonl}), told apart by
 * the id: a Beads id ({@code bd-12}) is no id of ours. A Beads issue keeps its id as the task's
 * external ref {@code beads:<id>}, so importing the file again adds only what is new.
 */
final class TaskLines {

    static final String BEADS = "beads:";
    /** Beads statuses of an issue still to do: all open here (blocked is derived from the dependencies). */
    private static final Set<String> BEADS_OPEN = Set.of("open", "in_progress", "blocked", "deferred", "pinned", "hooked");

    private TaskLines() {
    }

    /** A line of the export. */
    record Line(String id, String title, String description, String status, int priority, List<String> labels, String parent, List<String> after,
                List<String> related, String assignee, String creator, int progress, String note, String externalRef, Instant createdAt,
                Instant updatedAt, Instant closedAt) {
    }

    /** What an export to a file wrote. */
    record Exported(String file, int tasks, int links) {
    }

    /** What an import did: the tasks created, those already here, the links added, and what of the file was left out. */
    record ImportedView(List<String> created, List<String> alreadyHere, int links, List<String> leftOut) {
    }

    /** What a file gave: the tasks to import, and what of it was left out, with why. */
    record Parsed(List<TaskTransfer.Incoming> tasks, List<String> leftOut) {
    }

    static String export(TaskTransfer.Export export) {
        StringBuilder text = new StringBuilder();
        for (Task task : export.tasks()) {
            List<String> after = export.links().stream().filter(link -> link.kind() == TaskStore.Kind.BLOCKS && link.to().equals(task.id()))
                    .map(TaskStore.Link::from).toList();
            List<String> related = export.links().stream().filter(link -> link.kind() == TaskStore.Kind.RELATED && link.from().equals(task.id()))
                    .map(TaskStore.Link::to).toList();
            text.append(JsonViews.JSON.writeValueAsString(new Line(task.id(), task.title(), task.description(), task.status().label(),
                    task.priority(), task.labels(), task.parent(), after, related, task.assignee(), task.creator(), task.progress(), task.note(),
                    task.externalRef(), Instant.ofEpochMilli(task.createdAt()), Instant.ofEpochMilli(task.updatedAt()),
                    task.closedAt() == null ? null : Instant.ofEpochMilli(task.closedAt())))).append('\n');
        }
        return text.toString();
    }

    static Parsed parse(String text) {
        List<TaskTransfer.Incoming> tasks = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        Set<String> tombstones = new HashSet<>();
        String[] lines = text.split("\n", -1);
        List<JsonNode> beads = new ArrayList<>();
        List<Integer> beadsLines = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            int number = i + 1;
            try {
                JsonNode node = object(lines[i]);
                String id = text(node, "id");
                if (id == null || id.isBlank()) {
                    throw SwarmException.badInput("no id");
                }
                if (Ids.isId(id)) {
                    tasks.add(ours(node, id));
                } else if ("tombstone".equals(text(node, "status"))) {
                    tombstones.add(BEADS + id);
                    leftOut.add("line " + number + ": Beads issue " + id + " is deleted (tombstone)");
                } else {
                    beads.add(node);
                    beadsLines.add(number);
                }
            } catch (SwarmException e) {
                throw SwarmException.badInput("line " + number + ": " + e.getMessage());
            }
        }
        Set<String> inFile = beads.stream().map(node -> BEADS + text(node, "id")).collect(Collectors.toSet());
        for (int i = 0; i < beads.size(); i++) {
            try {
                tasks.add(bead(beads.get(i), inFile, tombstones, leftOut));
            } catch (SwarmException e) {
                throw SwarmException.badInput("line " + beadsLines.get(i) + ": " + e.getMessage());
            }
        }
        return new Parsed(tasks, leftOut);
    }

    private static TaskTransfer.Incoming ours(JsonNode node, String id) {
        Task.Status status = Task.Status.parse(text(node, "status") == null ? "open" : text(node, "status"));
        String note = text(node, "note");
        if (status == Task.Status.IN_PROGRESS) { // a claim is a lease of this queue: it does not travel
            status = Task.Status.OPEN;
            note = "was in progress with " + text(node, "assignee") + (note == null || note.isBlank() ? "" : ": " + note);
        }
        note = note(note);
        return new TaskTransfer.Incoming(id, text(node, "title"), text(node, "description"), status, integer(node, "priority"),
                strings(node, "labels"), text(node, "parent"), strings(node, "after"), strings(node, "related"), note, time(node, "createdAt"),
                time(node, "closedAt"), text(node, "externalRef"));
    }

    private static TaskTransfer.Incoming bead(JsonNode node, Set<String> inFile, Set<String> tombstones, List<String> leftOut) {
        String id = text(node, "id");
        String ref = BEADS + id;
        String beadsStatus = text(node, "status") == null ? "open" : text(node, "status");
        Task.Status status;
        String note = text(node, "close_reason");
        if (BEADS_OPEN.contains(beadsStatus)) {
            status = Task.Status.OPEN;
            if ("in_progress".equals(beadsStatus) && text(node, "assignee") != null && !text(node, "assignee").isBlank()) {
                note = "was in progress with " + text(node, "assignee") + " in Beads";
            }
            note = note(note);
        } else if ("closed".equals(beadsStatus)) {
            status = Task.Status.DONE;
            note = note(note);
        } else {
            throw SwarmException.badInput("Beads issue " + id + " has status '" + beadsStatus + "', which is not one of open, in_progress, "
                    + "blocked, deferred, pinned, hooked, closed, tombstone");
        }
        List<String> labels = new ArrayList<>(strings(node, "labels"));
        String type = text(node, "issue_type");
        if (type != null && !type.isBlank() && !"task".equals(type)) {
            labels.add("type:" + type);
        }
        String parent = null;
        List<String> blockedBy = new ArrayList<>();
        List<String> related = new ArrayList<>();
        for (JsonNode dependency : node.path("dependencies")) {
            String kind = text(dependency, "type") == null ? "blocks" : text(dependency, "type");
            String on = BEADS + text(dependency, "depends_on_id");
            if (tombstones.contains(on)) {
                leftOut.add("Beads issue " + id + ": its " + kind + " dependency on deleted " + on.substring(BEADS.length()));
                continue;
            }
            switch (kind) {
                case "blocks" -> blockedBy.add(on);
                case "parent-child" -> parent = on;
                case "related", "relates_to", "discovered-from" -> related.add(on);
                default -> leftOut.add("Beads issue " + id + ": its " + kind + " dependency on " + on.substring(BEADS.length())
                        + " (no such link here)");
            }
        }
        int dot = id.lastIndexOf('.');
        if (parent == null && dot > 0 && inFile.contains(BEADS + id.substring(0, dot))) { // bd-12.3 is a child of bd-12
            parent = BEADS + id.substring(0, dot);
        }
        return new TaskTransfer.Incoming(ref, text(node, "title"), description(node), status, integer(node, "priority"), labels, parent,
                blockedBy, related, note, time(node, "created_at"), time(node, "closed_at"), null);
    }

    /**
     * A note as a task keeps it: one line (line ends and other control characters of another
     * tracker's text, or of a claim turned into a note, become spaces), at most {@link Tasks#MAX_NOTE}
     * characters (cut with "..."), so that what an export or Beads wrote can always be read back.
     */
    static String note(String text) {
        if (text == null) {
            return null;
        }
        String line = text.codePoints().map(c -> Character.isISOControl(c) ? ' ' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString().replaceAll(" {2,}", " ").strip();
        if (line.length() <= Tasks.MAX_NOTE) {
            return line;
        }
        int end = Tasks.MAX_NOTE - 3;
        if (Character.isLowSurrogate(line.charAt(end))) {
            end--;
        }
        return line.substring(0, end) + "...";
    }

    /** The description with Beads' design, acceptance criteria and notes after it, each under its heading. */
    private static String description(JsonNode node) {
        StringBuilder text = new StringBuilder(text(node, "description") == null ? "" : text(node, "description"));
        for (List<String> part : List.of(List.of("acceptance_criteria", "Acceptance criteria"), List.of("design", "Design"),
                List.of("notes", "Notes"))) {
            String value = text(node, part.get(0));
            if (value != null && !value.isBlank()) {
                text.append(text.isEmpty() ? "" : "\n\n").append(part.get(1)).append(":\n").append(value.strip());
            }
        }
        return text.toString();
    }

    private static JsonNode object(String line) {
        JsonNode node;
        try {
            node = JsonViews.JSON.readTree(line);
        } catch (JacksonException e) {
            throw SwarmException.badInput("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw SwarmException.badInput("not a JSON object");
        }
        return node;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw SwarmException.badInput(field + " is " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ", not text");
        }
        return value.asString();
    }

    private static Integer integer(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw SwarmException.badInput(field + " is " + value + ", not a whole number");
        }
        return value.asInt();
    }

    private static List<String> strings(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw SwarmException.badInput(field + " is not a list");
        }
        List<String> strings = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isString()) {
                throw SwarmException.badInput(field + " holds " + item + ", not text");
            }
            strings.add(item.asString());
        }
        return strings;
    }

    private static Long time(JsonNode node, String field) {
        String value = text(node, field);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(value).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw SwarmException.badInput(field + " '" + value + "' is no ISO 8601 time (like 2025-01-09T12:00:00Z)");
        } catch (java.time.DateTimeException | ArithmeticException e) { // parsed, but beyond what epoch milliseconds hold
            throw SwarmException.badInput(field + " '" + value + "' is out of range");
        }
    }
}
