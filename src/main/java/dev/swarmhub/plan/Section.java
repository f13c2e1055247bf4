package dev.swarmhub.plan;

/**
 * A section of the coordination document: a heading and its text, with its own version (one more
 * at each change, so a writer can say which one it read). {@code id} stays through renames.
 */
public record Section(String id, String name, int position, long version, String text, long changedAt, String changedBy) {

    Section changed(String newText, long at, String by) {
        return new Section(id, name, position, version + 1, newText, at, by);
    }

    Section renamed(String newName, long at, String by) {
        return new Section(id, newName, position, version + 1, text, at, by);
    }

    Section at(int newPosition) {
        return new Section(id, name, newPosition, version, text, changedAt, changedBy);
    }

    /** How many lines its text has. */
    public int lines() {
        return text.isEmpty() ? 0 : (int) text.chars().filter(c -> c == '\n').count() + 1;
    }
}
