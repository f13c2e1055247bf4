package dev.swarmhub.kernel;

import java.time.Duration;
import java.util.regex.Pattern;

/** Input limits shared by every client; each check names what was wrong. */
public final class Limits {

    public static final Duration DEFAULT_TTL = Duration.ofSeconds(300);
    public static final Duration MIN_TTL = Duration.ofSeconds(1);
    public static final Duration MAX_TTL = Duration.ofHours(24);
    public static final Duration MAX_WAIT = Duration.ofHours(24);
    public static final int MAX_REASON = 512;
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private Limits() {
    }

    public static String agentId(String id) {
        if (id == null || id.isEmpty()) {
            throw SwarmException.badInput("no agent given");
        }
        if (!AGENT_ID.matcher(id).matches()) {
            throw SwarmException.badInput("bad agent id '" + id
                    + "': use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return id;
    }

    public static String reason(String reason) {
        return reason == null ? "" : visibleText("reason", reason, MAX_REASON);
    }

    /**
     * One line of text shown to people as it is: refused when longer than {@code max} characters or
     * holding a control character, a character that hides or reorders text ({@link
     * #hides}), or half of a surrogate pair (stored as '?', it would read back as
     * something else).
     */
    public static String visibleText(String what, String text, int max) {
        if (text.length() > max) {
            throw SwarmException.badInput(what + " is " + text.length() + " characters; at most " + max);
        }
        text.codePoints().filter(Limits::unsafeInLine).findFirst().ifPresent(c -> {
            throw SwarmException.badInput(what + " contains " + describe(c) + ": remove it");
        });
        return text;
    }

    /**
     * Whether the text is 1 to {@code max} of the digits 0-9 (Long.parseLong also reads other
     * scripts' digits and a sign, which nobody types as a number here).
     */
    public static boolean digits(String text, int max) {
        return !text.isEmpty() && text.length() <= max && text.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** A control character, or one that hides or reorders text: refused in one-line text shown to people. */
    public static boolean unsafeInLine(int c) {
        return Character.isISOControl(c) || hides(c);
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
    public static String describe(int c) {
        return String.format("U+%04X (%s)", c, c == 0 ? "NUL, a control character" : c <= 0xFFFF && Character.isSurrogate((char) c) ? "half of a surrogate pair"
                : Character.isISOControl(c) ? "a control character" : "an invisible or direction-changing character");
    }

    public static Duration ttl(Duration ttl) {
        if (ttl == null) {
            return DEFAULT_TTL;
        }
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw SwarmException.badInput("ttl " + Durations.format(ttl) + " is out of range: use 1s to 24h");
        }
        return ttl;
    }

    public static Duration waitTime(Duration wait) {
        if (wait == null) {
            return Duration.ZERO;
        }
        if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
            throw SwarmException.badInput("wait " + Durations.format(wait) + " is out of range: use 0s to 24h");
        }
        return wait;
    }
}
