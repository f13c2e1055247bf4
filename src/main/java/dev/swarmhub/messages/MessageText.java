package dev.swarmhub.messages;

import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import java.util.function.UnaryOperator;

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
        return c == '\n' || c == '\t' || !(Character.isISOControl(c) || Limits.hides(c));
    }

    /**
     * The one line typed into a recipient's terminal: {@code [swarm] <from> <TYPE> <id>: <text>};
     * a long text is cut, followed by where to read all of it ({@code readAll} of the message's
     * id: the typist's words, which know the recipient's tools).
     */
    public static String paneLine(Message message, UnaryOperator<String> readAll) {
        String flat = message.text().replace("\r", "").replace("\n", " ⏎ ").replace('\t', ' ');
        if (flat.length() > PANE_LINE_MAX_CHARS) {
            flat = flat.substring(0, PANE_LINE_MAX_CHARS) + "… (" + readAll.apply(message.id()) + ")";
        }
        return "[swarm] " + message.sender() + " " + message.type().label() + " " + message.id() + ": " + flat;
    }
}
