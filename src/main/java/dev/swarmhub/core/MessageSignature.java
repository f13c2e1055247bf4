package dev.swarmhub.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 over a message's canonical fields (id, sender, time, type, recipients sorted,
 * thread, text) with the project's secret. Each field is length-prefixed, so no two different
 * messages share a canonical form.
 */
public final class MessageSignature {

    private final SecretKeySpec key;

    public MessageSignature(byte[] secret) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("the message secret must have at least 32 bytes");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    public String sign(String id, String sender, long createdAt, MessageType type, List<String> sortedRecipients,
                       String thread, String text) {
        StringBuilder canonical = new StringBuilder();
        for (String field : List.of(id, sender, Long.toString(createdAt), type.label(), String.join(",", sortedRecipients), thread, text)) {
            canonical.append(field.length()).append(':').append(field).append(';');
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** Whether the stored signature matches the stored fields (constant-time comparison). */
    public boolean verify(Message message) {
        String expected = sign(message.id(), message.sender(), message.createdAt(), message.type(), message.recipientNames(),
                message.thread(), message.text());
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                message.signature().getBytes(StandardCharsets.US_ASCII));
    }
}
