package dev.swarmhub.core;

/**
 * Message text rules. Removed (not refused), so a pasted log line still gets through: control
 * characters other than newline and tab (an escape sequence could drive the recipient's
 * terminal), bidirectional overrides and isolates (they make text read differently from what it
 * is, "Trojan Source"), and zero-width characters (they hide differences between look-alike
 * words). What remains must be non-blank and at most the project's size limit in UTF-8 bytes.
 */
public final class MessageText {

    public static final int DEFAULT_MAX_BYTES = 10 * 1024;
    private static final int PANE_LINE_MAX_CHARS = 2_000;

    private MessageText() {
    }

    /** The text to store: cleaned, checked. */
    public static String clean(String text, int maxBytes) {
        if (text == null) {
            throw SwarmException.badInput("no message text given");
        }
        StringBuilder kept = new StringBuilder(text.length());
        text.codePoints().filter(MessageText::allowed).forEach(kept::appendCodePoint);
        String cleaned = kept.toString();
        if (cleaned.isBlank()) {
            throw SwarmException.badInput("the message text is empty");
        }
        int bytes = cleaned.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > maxBytes) {
            throw SwarmException.badInput("the message text is " + bytes + " bytes; at most " + maxBytes
                    + " (setting messages.max-text-bytes)");
        }
        return cleaned;
    }

    private static boolean allowed(int c) {
        return c == '\n' || c == '\t' || !(Character.isISOControl(c) || hides(c));
    }

    /**
     * A character that makes text read differently from what it is: a bidirectional override or
     * isolate, a zero-width character, or an unpaired surrogate (not a character at all: UTF-8
     * storage turns it into '?', so the text read back differs from the text checked).
     */
    public static boolean hides(int c) {
        boolean bidi = (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C;
        boolean zeroWidth = (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x180E;
        return bidi || zeroWidth || c <= 0xFFFF && Character.isSurrogate((char) c);
    }

    /** Names a refused character for an error message, e.g. "U+202E (a control or invisible character)". */
    static String describe(int c) {
        return String.format("U+%04X (%s)", c, c == 0 ? "NUL, a control character" : c <= 0xFFFF && Character.isSurrogate((char) c) ? "half of a surrogate pair"
                : Character.isISOControl(c) ? "a control character" : "an invisible or direction-changing character");
    }

    /** The one line typed into a recipient's terminal: {@code [swarm] <from> <TYPE> <id>: <text>}. */
    public static String paneLine(Message message) {
        String flat = message.text().replace("\r", "").replace("\n", " ⏎ ").replace('\t', ' ');
        if (flat.length() > PANE_LINE_MAX_CHARS) {
            flat = flat.substring(0, PANE_LINE_MAX_CHARS) + "… (swarm read " + message.id() + ")";
        }
        return "[swarm] " + message.sender() + " " + message.type().label() + " " + message.id() + ": " + flat;
    }
}
