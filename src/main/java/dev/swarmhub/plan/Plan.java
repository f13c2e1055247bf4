package dev.swarmhub.plan;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Ids;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The coordination document (the plan): ordered sections, each with its own version, kept in the
 * store. Every change is one transaction under the store's write lock and one event with its
 * author, so appends from any number of agents are all kept, in the order they committed, and a
 * set given the version its writer read is refused when another change came first. The hub writes
 * the document to a file ({@link PlanText#render}) and takes in edits made to that file by hand
 * ({@link #takeHandEdit}).
 */
public final class Plan {

    /** The file the hub writes the document to, relative to the project's root. */
    public static final Setting<String> FILE = new Setting<>("doc.file", "COORDINATION.md", Plan::fileName, name -> name, (tx, name) -> { });
    /** The sections a project's document starts with. */
    public static final Setting<List<String>> FIRST_SECTIONS = new Setting<>("doc.sections",
            List.of("Sprint Goals", "Current Work", "Blocked", "Code Review Queue", "Decisions"), Plan::sectionNames,
            names -> String.join(", ", names), (tx, names) -> { });
    public static final List<Setting<?>> SETTINGS = List.of(FILE, FIRST_SECTIONS);
    public static final int MAX_SECTIONS = 100;
    public static final int MAX_HISTORY = 1_000;
    /** The name of the section that keeps a hand edit which could not be taken in, before the name of the section it was for. */
    public static final String CONFLICT = "Conflict: ";
    static final String OUTSIDE = "outside any section";
    /** The resource of the document's events; a section's are this and its id. */
    static final String DOCUMENT = "doc:";

    private final Store store;
    private final Gate gate;
    private volatile boolean started;

    public Plan(Store store, Gate gate) {
        this.store = store;
        this.gate = gate;
    }

    /** The document at a revision: its sections in order. */
    public record Document(long revision, List<Section> sections) {
    }

    /** A change made: the document's revision after it, and the section as it is now (as it was, when removed). */
    public record Changed(long revision, Section section) {
    }

    /** A section as the hub wrote it to the file. */
    public record Written(long version, String text) {
    }

    /** What a hand edit of the file changed: sections taken in, kept in a conflict section, refused (with why). */
    public record Taken(long revision, List<String> taken, List<String> conflicts, List<String> refused) {
        public boolean changedAnything() {
            return !taken.isEmpty() || !conflicts.isEmpty();
        }
    }

    // ------------------------------------------------------------------------------------ reading

    public Document show(Caller caller) {
        return store.write(tx -> {
            start(tx, caller);
            return document(tx);
        });
    }

    /** The document with only the one section. */
    public Document showSection(Caller caller, String name) {
        String wanted = PlanText.name(name);
        return store.write(tx -> {
            start(tx, caller);
            return new Document(PlanStore.in(tx).revision().orElseThrow(), List.of(require(PlanStore.in(tx).sections(), wanted)));
        });
    }

    /** The newest {@code limit} changes of the document, or of one section, oldest first. */
    public List<Event> history(Caller caller, String name, int limit) {
        if (limit < 1 || limit > MAX_HISTORY) {
            throw SwarmException.badInput("limit " + limit + " is out of range: use 1 to " + MAX_HISTORY);
        }
        String wanted = name == null ? null : PlanText.name(name);
        return store.write(tx -> {
            start(tx, caller);
            String id = wanted == null ? null : require(PlanStore.in(tx).sections(), wanted).id();
            return PlanStore.in(tx).history(id, limit);
        });
    }

    /** The document now, for the hub's file; its first sections are made if nobody has asked for it yet. */
    public Document current() {
        if (started) {
            return store.read(Plan::document);
        }
        Document document = store.write(tx -> {
            startIfNew(tx);
            return document(tx);
        });
        started = true;
        return document;
    }

    /** The document's revision now (a cheap look: has it changed since the file was written?). */
    public long revision() {
        return store.read(tx -> PlanStore.in(tx).revision().orElse(0));
    }

    // ----------------------------------------------------------------------------------- changing

    /** Replaces a section's text; with {@code ifVersion}, only if the section is still at that version. */
    public Changed set(Caller caller, String name, String text, Long ifVersion) {
        String wanted = PlanText.name(name);
        String replacement = PlanText.text("text", text);
        return store.write(tx -> {
            String author = start(tx, caller);
            Section section = require(PlanStore.in(tx).sections(), wanted);
            if (ifVersion != null && section.version() != ifVersion) {
                throw new VersionConflictException(section, ifVersion);
            }
            Section changed = section.changed(replacement, tx.now(), author);
            PlanStore.in(tx).updateSection(changed);
            return changed(tx, caller, changed, "doc.set", "text", replacement);
        });
    }

    /** Adds lines at the end of a section: never refused for a change made meanwhile (appends keep their commit order). */
    public Changed append(Caller caller, String name, String text) {
        String wanted = PlanText.name(name);
        String added = PlanText.text("text", text);
        if (added.isEmpty()) {
            throw SwarmException.badInput("nothing to append: the text is empty");
        }
        return store.write(tx -> {
            String author = start(tx, caller);
            Section section = require(PlanStore.in(tx).sections(), wanted);
            Section changed = section.changed(fitting(section, section.text().isEmpty() ? added : section.text() + "\n" + added), tx.now(), author);
            PlanStore.in(tx).updateSection(changed);
            return changed(tx, caller, changed, "doc.appended", "text", added);
        });
    }

    /** Removes the section's lines that read as the line given (a list item's marker aside); refused when none does. */
    public Changed removeLine(Caller caller, String name, String line) {
        String wanted = PlanText.name(name);
        String target = Limits.visibleText("line", line == null ? "" : line.strip(), PlanText.MAX_TEXT);
        if (target.isEmpty()) {
            throw SwarmException.badInput("no line given: give the line to remove, as it reads in the section");
        }
        return store.write(tx -> {
            String author = start(tx, caller);
            Section section = require(PlanStore.in(tx).sections(), wanted);
            List<String> kept = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            for (String each : section.text().split("\n", -1)) {
                (matches(each, target) ? removed : kept).add(each);
            }
            if (removed.isEmpty()) {
                throw SwarmException.denied("no line of section '" + section.name() + "' reads '" + target + "'");
            }
            Section changed = section.changed(PlanText.text("text", String.join("\n", kept)), tx.now(), author);
            PlanStore.in(tx).updateSection(changed);
            return changed(tx, caller, changed, "doc.line-removed", "lines", removed);
        });
    }

    /** Adds an empty section after another one, or at the end. */
    public Changed addSection(Caller caller, String name, String after) {
        String added = PlanText.name(name);
        String before = after == null ? null : PlanText.name(after);
        return store.write(tx -> {
            String author = start(tx, caller);
            List<Section> sections = new ArrayList<>(PlanStore.in(tx).sections());
            int index = before == null ? sections.size() : sections.indexOf(require(sections, before)) + 1;
            Section section = insert(tx, sections, index, added, "", author);
            return changed(tx, caller, section, "doc.section-added", "position", index);
        });
    }

    public Changed renameSection(Caller caller, String name, String newName) {
        String wanted = PlanText.name(name);
        String renamed = PlanText.name(newName);
        return store.write(tx -> {
            String author = start(tx, caller);
            List<Section> sections = PlanStore.in(tx).sections();
            Section section = require(sections, wanted);
            find(sections, renamed).filter(other -> !other.id().equals(section.id())).ifPresent(other -> {
                throw SwarmException.denied("a section '" + other.name() + "' exists already");
            });
            Section changed = section.renamed(renamed, tx.now(), author);
            PlanStore.in(tx).updateSection(changed);
            return changed(tx, caller, changed, "doc.section-renamed", "was", section.name());
        });
    }

    /** Removes a section; its text stays in the history (the event keeps it). */
    public Changed removeSection(Caller caller, String name) {
        String wanted = PlanText.name(name);
        return store.write(tx -> {
            start(tx, caller);
            List<Section> sections = new ArrayList<>(PlanStore.in(tx).sections());
            Section section = require(sections, wanted);
            remove(tx, sections, section);
            return changed(tx, caller, section, "doc.section-removed", "text", section.text());
        });
    }

    // --------------------------------------------------------------------------------- hand edits

    /**
     * Takes in a hand edit of the file, as the operator: {@code written} are the sections of the
     * files the hub wrote last, newest first (a section whose text is one of those was not edited).
     * A section edited by hand replaces the stored one when that did not change since the newest
     * file was written (or was empty, when no file was written yet); otherwise the edit is kept in
     * the section {@value #CONFLICT}NAME and the log says so. New headings become sections;
     * a heading removed by hand removes its section unless it changed meanwhile (a file with no
     * section left removes none). Text outside any section is kept as a conflict. Nothing is dropped:
     * what cannot be stored at all (too long, a control character) is refused and named.
     */
    public Taken takeHandEdit(String fileName, String file, List<Map<String, Written>> written) {
        PlanText.Parsed parsed = PlanText.parse(file);
        Caller operator = Caller.ofOperator();
        return store.write(tx -> {
            startIfNew(tx);
            HandEdit edit = new HandEdit(tx, fileName, new ArrayList<>(PlanStore.in(tx).sections()));
            Map<String, Written> newest = written.isEmpty() ? Map.of() : written.getFirst();
            List<String> inFile = new ArrayList<>();
            int place = 0; // where a new heading goes: after the last section of the file found in the store
            for (Map.Entry<String, String> heading : parsed.sections().entrySet()) {
                inFile.add(heading.getKey()); // even when refused below: its section was not removed by hand
                String name;
                String text;
                try {
                    name = PlanText.name(heading.getKey());
                    text = PlanText.text("section '" + heading.getKey() + "' of " + fileName, heading.getValue());
                } catch (SwarmException bad) {
                    edit.refuse(bad.getMessage());
                    continue;
                }
                Optional<Section> stored = find(edit.sections, name);
                String matched = stored.map(Section::name).orElse(name);
                boolean edited = written.stream().noneMatch(render -> render.containsKey(matched) && render.get(matched).text().equals(text));
                Written base = newest.get(matched);
                if (stored.isPresent()) {
                    if (!edited || stored.get().text().equals(text)) {
                        // as written, or as stored: nothing to take in
                    } else if (base != null ? stored.get().version() == base.version() : stored.get().text().isEmpty()) {
                        edit.take(stored.get(), text);
                    } else {
                        edit.conflict(stored.get().name(), text, (base != null ? "it changed in the store since the file was written"
                                : "the store holds other text for it, and no hub wrote this file") + " (now version " + stored.get().version() + ")");
                    }
                    place = edit.after(stored.get().name());
                } else if (base == null && edited) {
                    edit.add(place++, name, text);
                } else if (edited) {
                    edit.conflict(name, text, "it was removed or renamed in the store since the file was written");
                }
            }
            if (!inFile.isEmpty()) {
                for (Map.Entry<String, Written> gone : newest.entrySet()) {
                    if (inFile.stream().noneMatch(name -> name.equalsIgnoreCase(gone.getKey()))) {
                        find(edit.sections, gone.getKey()).ifPresent(section -> edit.removeByHand(section, gone.getValue()));
                    }
                }
            }
            try {
                String outside = PlanText.text("text outside any section of " + fileName, parsed.outside());
                if (!outside.isEmpty()) {
                    edit.conflict(OUTSIDE, outside, "it stands outside any section");
                }
            } catch (SwarmException bad) {
                edit.refuse(bad.getMessage());
            }
            long revision = edit.changed() ? changed(tx) : PlanStore.in(tx).revision().orElseThrow();
            return new Taken(revision, List.copyOf(edit.taken), List.copyOf(edit.conflicts), List.copyOf(edit.refused));
        });
    }

    /** One hand edit being taken in: the sections as they become, and what was done. */
    private final class HandEdit {
        final Tx tx;
        final String fileName;
        final List<Section> sections;
        final List<String> taken = new ArrayList<>();
        final List<String> conflicts = new ArrayList<>();
        final List<String> refused = new ArrayList<>();

        HandEdit(Tx tx, String fileName, List<Section> sections) {
            this.tx = tx;
            this.fileName = fileName;
            this.sections = sections;
        }

        boolean changed() {
            return !taken.isEmpty() || !conflicts.isEmpty();
        }

        /** The place after the section and the conflict section kept next to it, if any. */
        int after(String name) {
            int index = sections.indexOf(find(sections, name).orElseThrow()) + 1;
            return index < sections.size() && sections.get(index).name().equals(conflictSectionName(name)) ? index + 1 : index;
        }

        void take(Section section, String text) {
            Section changed = section.changed(text, tx.now(), Caller.OPERATOR_ID);
            PlanStore.in(tx).updateSection(changed);
            sections.set(sections.indexOf(section), changed);
            record(tx, null, changed, "doc.hand-edit", "file", fileName, "text", text);
            taken.add(changed.name());
        }

        void add(int index, String name, String text) {
            if (sections.size() >= MAX_SECTIONS) {
                conflict(name, text, "the document has " + MAX_SECTIONS + " sections, the most it may");
                return;
            }
            Section added = insert(tx, sections, index, name, text, Caller.OPERATOR_ID);
            record(tx, null, added, "doc.hand-edit", "file", fileName, "text", text, "added", true);
            taken.add(name);
        }

        void removeByHand(Section section, Written base) {
            if (section.version() == base.version()) {
                remove(tx, sections, section);
                record(tx, null, section, "doc.section-removed", "file", fileName, "text", section.text());
                taken.add(section.name());
            } else {
                conflicts.add(section.name());
                record(tx, null, section, "doc.conflict", "file", fileName, "reason", "its heading was removed from the file by hand, "
                        + "but it changed in the store since the file was written: it is kept");
            }
        }

        /** Keeps the text in the section "Conflict: NAME" (made after NAME, or at the end), saying why. */
        void conflict(String name, String text, String why) {
            String keeper = conflictSectionName(name);
            String note = "A hand edit of " + fileName + " at " + Instant.ofEpochMilli(tx.now()) + " for section '" + name + "', kept here: "
                    + why + ". Merge it by hand, then remove this section.";
            Optional<Section> existing = find(sections, keeper);
            String kept = existing.map(section -> section.text() + "\n\n").orElse("") + note + "\n\n" + text;
            if (kept.length() > PlanText.MAX_TEXT || existing.isEmpty() && sections.size() >= MAX_SECTIONS) {
                refuse("a hand edit of section '" + name + "' could not be kept: the section " + keeper + " would be too long, or the "
                        + "document has too many sections");
                return;
            }
            Section section;
            if (existing.isPresent()) {
                section = existing.get().changed(kept, tx.now(), Caller.OPERATOR_ID);
                PlanStore.in(tx).updateSection(section);
                sections.set(sections.indexOf(existing.get()), section);
            } else {
                int after = find(sections, name).map(sections::indexOf).orElse(sections.size() - 1) + 1;
                section = insert(tx, sections, after, keeper, kept, Caller.OPERATOR_ID);
            }
            record(tx, null, section, "doc.conflict", "file", fileName, "section", name, "reason", why, "text", text);
            conflicts.add(name);
        }

        void refuse(String why) {
            refused.add(why);
            tx.appendEvent("doc.hand-edit-refused", null, DOCUMENT, OrderedMap.of("file", fileName, "reason", why));
        }
    }

    static String conflictSectionName(String name) {
        String keeper = CONFLICT + name;
        return keeper.length() <= PlanText.MAX_NAME ? keeper : keeper.substring(0, PlanText.MAX_NAME);
    }

    // ------------------------------------------------------------------------------------ helpers

    /** Every document operation starts here: the caller is admitted, the first sections made if there are none yet. */
    private String start(Tx tx, Caller caller) {
        gate.admit(tx, caller);
        startIfNew(tx);
        return caller.operator() ? Caller.OPERATOR_ID : caller.agentId();
    }

    private static void startIfNew(Tx tx) {
        if (PlanStore.in(tx).revision().isEmpty()) {
            List<Section> sections = new ArrayList<>();
            for (String name : FIRST_SECTIONS.in(tx)) {
                insert(tx, sections, sections.size(), name, "", Caller.HUB_ID);
            }
            PlanStore.in(tx).setRevision(1);
            tx.appendEvent("doc.started", null, DOCUMENT, OrderedMap.of("sections", FIRST_SECTIONS.in(tx), "revision", 1L));
        }
    }

    private static Document document(Tx tx) {
        return new Document(PlanStore.in(tx).revision().orElse(0), PlanStore.in(tx).sections());
    }

    /** The section of that name, in any case (no two sections' names differ only in case). */
    static Optional<Section> find(List<Section> sections, String name) {
        return sections.stream().filter(section -> section.name().equalsIgnoreCase(name)).findFirst();
    }

    private static Section require(List<Section> sections, String name) {
        return find(sections, name).orElseThrow(() -> SwarmException.badInput("no section '" + name + "'" + (sections.isEmpty()
                ? ": the document has none (swarm doc add-section NAME)"
                : ": the sections are " + sections.stream().map(Section::name).collect(Collectors.joining(", ")))));
    }

    private static Section insert(Tx tx, List<Section> sections, int index, String name, String text, String author) {
        find(sections, name).ifPresent(other -> {
            throw SwarmException.denied("a section '" + other.name() + "' exists already");
        });
        if (sections.size() >= MAX_SECTIONS) {
            throw SwarmException.denied("the document has " + MAX_SECTIONS + " sections, the most it may: remove one first");
        }
        Section section = new Section(Ids.next(tx.now()), name, index, 1, text, tx.now(), author);
        PlanStore.in(tx).insertSection(section);
        sections.add(index, section);
        renumber(tx, sections);
        return section;
    }

    private static void remove(Tx tx, List<Section> sections, Section section) {
        PlanStore.in(tx).deleteSection(section.id());
        sections.remove(section);
        renumber(tx, sections);
    }

    private static void renumber(Tx tx, List<Section> sections) {
        for (int i = 0; i < sections.size(); i++) {
            if (sections.get(i).position() != i) {
                sections.set(i, sections.get(i).at(i));
                PlanStore.in(tx).updateSection(sections.get(i));
            }
        }
    }

    private static String fitting(Section section, String text) {
        if (text.length() > PlanText.MAX_TEXT) {
            throw SwarmException.denied("section '" + section.name() + "' would hold " + text.length() + " characters, more than "
                    + PlanText.MAX_TEXT + ": remove lines first (swarm doc remove-line), or set it shorter");
        }
        return text;
    }

    /** A line as the section reads it, or as a list item reads it without its marker ("- ", "* ", "+ ", "1. "). */
    private static boolean matches(String line, String target) {
        String stripped = line.strip();
        return stripped.equals(target) || stripped.replaceFirst("^([-*+]|\\d+[.)])\\s+(\\[[ xX]]\\s+)?", "").equals(target);
    }

    /** Records the change (its event, by its author) and moves the document's revision on. */
    private static Changed changed(Tx tx, Caller caller, Section section, String kind, Object... details) {
        record(tx, caller.operator() ? null : caller.agent(), section, kind, details);
        return new Changed(changed(tx), section);
    }

    private static long changed(Tx tx) {
        long revision = PlanStore.in(tx).revision().orElseThrow() + 1;
        PlanStore.in(tx).setRevision(revision);
        return revision;
    }

    private static void record(Tx tx, String agent, Section section, String kind, Object... details) {
        Map<String, Object> all = OrderedMap.of("section", section.name(), "version", section.version());
        all.putAll(OrderedMap.of(details));
        tx.appendEvent(kind, agent, DOCUMENT + section.id(), all);
    }

    // ----------------------------------------------------------------------------------- settings

    private static String fileName(String text) {
        String name = Limits.visibleText("doc.file", text.strip(), 200);
        boolean escapes = Arrays.stream(name.split("/")).anyMatch(part -> part.equals("..") || part.equals("."));
        if (name.isEmpty() || name.startsWith("/") || name.endsWith("/") || escapes || name.equals(".swarm") || name.startsWith(".swarm/")) {
            throw SwarmException.badInput("bad doc.file '" + text + "': give a file name relative to the project's root, "
                    + "inside it and outside .swarm (default COORDINATION.md)");
        }
        return name;
    }

    private static List<String> sectionNames(String text) {
        List<String> names = new ArrayList<>();
        for (String each : text.split(",")) {
            String name = PlanText.name(each);
            if (names.stream().anyMatch(name::equalsIgnoreCase)) {
                throw SwarmException.badInput("bad doc.sections: '" + name + "' is given twice");
            }
            names.add(name);
        }
        if (names.size() > MAX_SECTIONS) {
            throw SwarmException.badInput("bad doc.sections: " + names.size() + " sections; at most " + MAX_SECTIONS);
        }
        return List.copyOf(names);
    }
}
