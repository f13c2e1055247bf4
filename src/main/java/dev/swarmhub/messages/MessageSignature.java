package dev.swarmhub.messages;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 over a message's canonical fields with the project's secret. Each field is
 * length-prefixed (a missing one is {@code -}), so no two different messages share a canonical form.
 *
 * <p>Signatures made now start with {@code v2:} and cover every stored field a reader acts on:
 * id, sender, time, type, recipients sorted, thread, reply-to, priority, ack-required and text.
 * A signature without a prefix was made before version 2 and covers id, sender, time, type,
 * recipients, thread and text only; it is still checked with that encoding, so messages stored
 * earlier keep verifying. A version-1 signature cannot be forged for a version-2 message: both
 * need the secret.
 */
public final class MessageSignature {

    private static final String V2 = "v2:";

    private final SecretKeySpec key;

    public MessageSignature(byte[] secret) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("the message secret must have at least 32 bytes");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** The signature for a message about to be stored (its own {@code signature} is ignored). */
    public String sign(Message message) {
        return V2 + hmac(message.id(), message.sender(), Long.toString(message.createdAt()), message.type().label(),
                String.join(",", message.recipientNames()), message.thread(), message.replyTo(), message.priority(),
                message.ackRequired() ? "1" : "0", message.text());
    }

    /** Whether the stored signature matches the stored fields (constant-time comparison). */
    public boolean verify(Message message) {
        String stored = message.signature();
        String expected = stored.startsWith(V2) ? sign(message) : hmac(message.id(), message.sender(),
                Long.toString(message.createdAt()), message.type().label(), String.join(",", message.recipientNames()),
                message.thread(), message.text());
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), stored.getBytes(StandardCharsets.UTF_8));
    }

    private String hmac(String... fields) {
        StringBuilder canonical = new StringBuilder();
        for (String field : fields) {
            canonical.append(field == null ? "-" : field.length() + ":" + field).append(';');
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
