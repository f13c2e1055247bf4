package dev.swarmhub.hub;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A token kept with a stored answer, sealed (AES-GCM) under a key derived from the requesting
 * caller's own bearer token and the Idempotency-Key: only a retry by that caller with that key can
 * open it. The store keeps only a hash of an agent's bearer token (and the operator's is in a file
 * of its own), so whoever reads the database cannot open a sealed token.
 */
final class TokenSeal {

    private static final String VERSION = "sealed1:";
    private static final int NONCE_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenSeal() {
    }

    static String seal(String token, String bearer, String idempotencyKey) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            byte[] sealed = cipher(Cipher.ENCRYPT_MODE, bearer, idempotencyKey, nonce).doFinal(token.getBytes(StandardCharsets.UTF_8));
            byte[] kept = new byte[NONCE_BYTES + sealed.length];
            System.arraycopy(nonce, 0, kept, 0, NONCE_BYTES);
            System.arraycopy(sealed, 0, kept, NONCE_BYTES, sealed.length);
            return VERSION + Base64.getEncoder().encodeToString(kept);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }

    /** The sealed token; empty when it was sealed under another bearer token or key, or is not a sealed token. */
    static Optional<String> open(Object sealed, String bearer, String idempotencyKey) {
        if (!(sealed instanceof String text) || !text.startsWith(VERSION)) {
            return Optional.empty();
        }
        try {
            byte[] kept = Base64.getDecoder().decode(text.substring(VERSION.length()));
            byte[] nonce = java.util.Arrays.copyOf(kept, NONCE_BYTES);
            byte[] token = cipher(Cipher.DECRYPT_MODE, bearer, idempotencyKey, nonce).doFinal(kept, NONCE_BYTES, kept.length - NONCE_BYTES);
            return Optional.of(new String(token, StandardCharsets.UTF_8));
        } catch (GeneralSecurityException | IllegalArgumentException notOurs) {
            return Optional.empty();
        }
    }

    private static Cipher cipher(int mode, String bearer, String idempotencyKey, byte[] nonce) throws GeneralSecurityException {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update("swarmhub idempotent registration\0".getBytes(StandardCharsets.UTF_8));
        sha256.update((bearer + "\0" + idempotencyKey).getBytes(StandardCharsets.UTF_8));
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, new SecretKeySpec(sha256.digest(), "AES"), new GCMParameterSpec(128, nonce));
        return cipher;
    }
}
