package dev.swarmhub.kernel;

import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/** Time-ordered ids (ULID layout): 48 bits of store time, then 80 random bits, in Crockford base32; sortable as text. */
public final class Ids {

    private static final char[] BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The shortest prefix that names a stored id. */
    public static final int MIN_PREFIX = 6;

    private Ids() {
    }

    /** A new id for store time {@code now} (epoch milliseconds). */
    public static String next(long now) {
        char[] id = new char[26];
        long time = now;
        for (int i = 9; i >= 0; i--) {
            id[i] = BASE32[(int) (time & 31)];
            time >>>= 5;
        }
        byte[] bytes = new byte[10];
        RANDOM.nextBytes(bytes);
        long high = 0;
        long low = 0;
        for (int i = 0; i < 5; i++) {
            high = (high << 8) | (bytes[i] & 0xFF);
            low = (low << 8) | (bytes[i + 5] & 0xFF);
        }
        for (int i = 17; i >= 10; i--) {
            id[i] = BASE32[(int) (high & 31)];
            high >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            id[i] = BASE32[(int) (low & 31)];
            low >>>= 5;
        }
        return new String(id);
    }

    /** Whether {@code text} is an id as {@link #next} makes them (26 characters of Crockford base32, upper case). */
    public static boolean isId(String text) {
        return text != null && text.length() == 26 && text.chars().allMatch(c -> java.util.Arrays.binarySearch(BASE32, (char) c) >= 0);
    }

    /**
     * The one id that starts with {@code ref} (6 or more characters, case-insensitive), looked up
     * by {@code startingWith} (prefix, at most how many); {@code what} names the kind in errors.
     */
    public static String resolve(String what, String ref, BiFunction<String, Integer, List<String>> startingWith) {
        String prefix = ref == null ? "" : ref.strip().toUpperCase(Locale.ROOT);
        if (prefix.length() < MIN_PREFIX) {
            throw SwarmException.badInput(what + " id '" + ref + "' is too short: give at least " + MIN_PREFIX + " characters");
        }
        List<String> ids = startingWith.apply(prefix, 4);
        if (ids.isEmpty()) {
            throw SwarmException.badInput("no " + what + " " + ref);
        }
        if (ids.size() > 1) {
            throw SwarmException.badInput(what + " id '" + ref + "' is ambiguous: it starts " + String.join(", ", ids.subList(0, Math.min(3, ids.size())))
                    + (ids.size() > 3 ? ", ..." : "") + "; give more characters");
        }
        return ids.get(0);
    }
}
