package dev.swarmhub.plan;

import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Effect;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Operation;
import dev.swarmhub.kernel.SwarmException;
import java.util.List;
import java.util.Locale;

/** The coordination document's operations as every adapter offers them. */
public final class PlanOperations {

    public record Show(@Doc("Only this section") String section) {
    }

    /** No arguments. */
    public record None() {
    }

    public record SetText(
            @Doc(value = "Section name", required = true) String section,
            @Doc(value = "The section's new text (Markdown)", required = true) String text,
            @Doc("Only if the section is still at this version (else refused with the current one)") Long ifVersion) {
    }

    public record AppendText(
            @Doc(value = "Section name", required = true) String section,
            @Doc(value = "Lines to add at the end", required = true) String text) {
    }

    public record RemoveLine(
            @Doc(value = "Section name", required = true) String section,
            @Doc(value = "The line, as it reads (a list item's marker aside)", required = true) String line) {
    }

    public record AddSection(
            @Doc(value = "New section's name", required = true) String name,
            @Doc("Put it after this section (default: at the end)") String after) {
    }

    public record RenameSection(
            @Doc(value = "Section name", required = true) String section,
            @Doc(value = "Its new name", required = true) String name) {
    }

    public record OneSection(@Doc(value = "Section name", required = true) String section) {
    }

    public record History(
            @Doc("Only this section's changes") String section,
            @Doc("At most (default 50)") Integer limit) {
        public History {
            limit = limit == null ? 50 : limit;
        }
    }

    /** What an update does: append lines, or replace the text. */
    public enum Action {
        APPEND, SET;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static List<String> names() {
            return List.of(APPEND.label(), SET.label());
        }

        public static Action parse(String text) {
            for (Action action : values()) {
                if (action.label().equalsIgnoreCase(text == null ? "" : text.strip())) {
                    return action;
                }
            }
            throw SwarmException.badInput("unknown action '" + text + "': use append or set");
        }
    }

    /** One update tool for agents (MCP): append, or set with the version read. */
    public record Update(
            @Doc(value = "Section name", required = true) String section,
            @Doc(value = "append (never conflicts) or set", required = true) Action action,
            @Doc(value = "Lines to append, or the new text", required = true) String text,
            @Doc("set: the version you read (else refused)") Long expectedVersion) {
        public Update {
            if (action == Action.APPEND && expectedVersion != null) {
                throw SwarmException.badInput("expected_version applies to set: an append never conflicts");
            }
        }
    }

    public final Operation<Show, Plan.Document> show;
    public final Operation<None, Plan.Document> sections;
    public final Operation<SetText, Plan.Changed> set;
    public final Operation<AppendText, Plan.Changed> append;
    public final Operation<RemoveLine, Plan.Changed> removeLine;
    public final Operation<AddSection, Plan.Changed> addSection;
    public final Operation<RenameSection, Plan.Changed> renameSection;
    public final Operation<OneSection, Plan.Changed> removeSection;
    public final Operation<History, List<Event>> history;
    public final Operation<Update, Plan.Changed> update;

    public PlanOperations(Plan plan) {
        show = new Operation<>("doc.show", "The coordination document, or one section, with versions.", Show.class, true, Effect.READ,
                (caller, a) -> a.section() == null ? plan.show(caller) : plan.showSection(caller, a.section()));
        sections = new Operation<>("doc.sections", "The document's sections: name, version, lines, last change.", None.class, true, Effect.READ,
                (caller, a) -> plan.show(caller));
        set = new Operation<>("doc.set", "Replace a section's text; with if_version, only if nobody changed it since.", SetText.class, true, Effect.REMOVE,
                (caller, a) -> plan.set(caller, a.section(), a.text(), a.ifVersion()));
        append = new Operation<>("doc.append", "Add lines at the end of a section (never conflicts).", AppendText.class, true, Effect.ADD,
                (caller, a) -> plan.append(caller, a.section(), a.text()));
        removeLine = new Operation<>("doc.remove-line", "Remove a section's lines that read as the one given.", RemoveLine.class, true, Effect.REMOVE,
                (caller, a) -> plan.removeLine(caller, a.section(), a.line()));
        addSection = new Operation<>("doc.add-section", "Add an empty section.", AddSection.class, true, Effect.SET,
                (caller, a) -> plan.addSection(caller, a.name(), a.after()));
        renameSection = new Operation<>("doc.rename-section", "Rename a section.", RenameSection.class, true, Effect.REMOVE,
                (caller, a) -> plan.renameSection(caller, a.section(), a.name()));
        removeSection = new Operation<>("doc.remove-section", "Remove a section (its text stays in the history).", OneSection.class, true, Effect.REMOVE,
                (caller, a) -> plan.removeSection(caller, a.section()));
        history = new Operation<>("doc.history", "Changes to the document or a section, with their authors, oldest first.", History.class,
                true, Effect.READ, (caller, a) -> plan.history(caller, a.section(), a.limit()));
        update = new Operation<>("doc.update", "Append to a section of the coordination document, or set its text.", Update.class, true, Effect.MIXED,
                (caller, a) -> a.action() == Action.APPEND ? plan.append(caller, a.section(), a.text())
                        : plan.set(caller, a.section(), a.text(), a.expectedVersion()));
    }
}
