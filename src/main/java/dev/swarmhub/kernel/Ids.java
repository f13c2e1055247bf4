package dev.swarmhub.kernel;

import java.security.SecureRandom;

/** Time-ordered ids (ULID layout): 48 bits of store time, then 80 random bits, in Crockford base32; sortable as text. */
public final class Ids {

    private static final char[] BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

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
}
