package dev.swarmhub.plan;

import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The document as Markdown: a section's name and text rules, the file the hub writes, and reading
 * such a file back. A line starting with {@code "## "} starts a section, so a section's own text
 * may not have one; every text is kept normalised (LF line ends, no trailing spaces, no blank lines
 * at either end), so that a file written and read back gives the same sections.
 */
public final class PlanText {

    public static final int MAX_NAME = 80;
    public static final int MAX_TEXT = 65_536;
    static final String TITLE = "# Coordination";
    static final String NOTE = "<!-- Written by Swarmhub from its store. Change it with `swarm doc` (see `swarm doc --help`), "
            + "or edit this file: the hub takes in your edits. -->";
    private static final String HEADING = "## ";

    private PlanText() {
    }

    /** A section's name as given, checked: one visible line of 1 to {@value #MAX_NAME} characters. */
    public static String name(String name) {
        String stripped = name == null ? "" : name.strip();
        if (stripped.isEmpty()) {
            throw SwarmException.badInput("no section name given");
        }
        return Limits.visibleText("section name", stripped, MAX_NAME);
    }

    /**
     * A section's text, normalised (CR LF and CR to LF, trailing spaces and blank lines at the ends
     * removed) and checked: no control character but tab, no line starting a section.
     */
    public static String text(String what, String text) {
        String[] lines = (text == null ? "" : text).replace("\r\n", "\n").replace('\r', '\n').split("\n", -1);
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].stripTrailing();
            int number = i + 1;
            line.codePoints().filter(c -> c != '\t' && Limits.unsafeInLine(c)).findFirst().ifPresent(c -> {
                throw SwarmException.badInput(what + ", line " + number + ", contains " + Limits.describe(c) + ": remove it");
            });
            if (startsSection(line)) {
                throw SwarmException.badInput(what + ", line " + number + ", starts with '##', which starts a section in the file: "
                        + "use '###' for a heading within a section, or add a section");
            }
            kept.add(line);
        }
        while (!kept.isEmpty() && kept.getFirst().isEmpty()) {
            kept.removeFirst();
        }
        while (!kept.isEmpty() && kept.getLast().isEmpty()) {
            kept.removeLast();
        }
        String normalised = String.join("\n", kept);
        if (normalised.length() > MAX_TEXT) {
            throw SwarmException.badInput(what + " is " + normalised.length() + " characters; a section holds at most " + MAX_TEXT);
        }
        return normalised;
    }

    private static boolean startsSection(String line) {
        return line.startsWith(HEADING) || line.equals("##");
    }

    /** The file: a title, a note on how to change it, then each section's heading and text. */
    public static String render(List<Section> sections) {
        StringBuilder file = new StringBuilder(TITLE).append("\n\n").append(NOTE).append('\n');
        for (Section section : sections) {
            file.append('\n').append(HEADING).append(section.name()).append('\n');
            if (!section.text().isEmpty()) {
                file.append('\n').append(section.text()).append('\n');
            }
        }
        return file.toString();
    }

    /**
     * A file read back: its sections by name, in order (the texts of a name given twice joined), and
     * what stands before the first section other than a title line and the hub's note.
     */
    public record Parsed(Map<String, String> sections, String outside) {
    }

    public static Parsed parse(String file) {
        Map<String, StringBuilder> sections = new LinkedHashMap<>();
        StringBuilder outside = new StringBuilder();
        StringBuilder current = outside;
        boolean titleSeen = false;
        for (String line : file.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)) {
            if (startsSection(line)) {
                String name = line.substring(2).strip();
                current = sections.computeIfAbsent(name, n -> new StringBuilder());
                if (!current.isEmpty()) {
                    current.append("\n\n");
                }
            } else if (current == outside && !titleSeen && line.startsWith("# ") && outside.toString().isBlank()) {
                titleSeen = true;
            } else if (current != outside || !line.strip().equals(NOTE)) {
                current.append(line).append('\n');
            }
        }
        Map<String, String> texts = new LinkedHashMap<>();
        sections.forEach((name, text) -> texts.put(name, text.toString()));
        return new Parsed(texts, outside.toString());
    }
}
