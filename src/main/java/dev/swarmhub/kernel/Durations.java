package dev.swarmhub.kernel;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people type them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1m30s}.
 * A unit is required: {@code --ttl 10} could mean seconds or minutes, and {@code --ttl=10 min}
 * would otherwise lease a file named {@code min}. Only {@code 0} needs none.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

    private Durations() {
    }

    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw SwarmException.badInput("empty duration: use e.g. 30s, 5m, 1h");
        }
        String trimmed = text.trim();
        if (Limits.digits(trimmed, 9)) {
            if (Long.parseLong(trimmed) == 0) {
                return Duration.ZERO;
            }
            throw SwarmException.badInput("duration '" + text + "' needs a unit: " + trimmed + "s, " + trimmed + "m or " + trimmed
                    + "h (a bare number is ambiguous)");
        }
        Matcher part = PART.matcher(trimmed);
        Duration total = Duration.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            });
            end = part.end();
        }
        if (end == 0 || end != trimmed.length()) {
            throw SwarmException.badInput("bad duration '" + text + "': use e.g. 500ms, 30s, 5m, 1h or 1m30s");
        }
        return total;
    }

    public static String format(Duration duration) {
        long ms = duration.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s % 86_400 == 0 && s > 0) {
            return s / 86_400 + "d";
        }
        if (s % 3600 == 0 && s > 0) {
            return s / 3600 + "h";
        }
        if (s % 60 == 0 && s > 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
