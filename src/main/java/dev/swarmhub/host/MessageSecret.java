package dev.swarmhub.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The project's message-signing secret: 32 random bytes (hex). It lives in the store, shared by
 * every process and every hub of it (see {@code Services}); a project from before kept it in
 * .swarm/secret, which is taken in once so that its messages still verify.
 */
public final class MessageSecret {

    private MessageSecret() {
    }

    public static Path file(Path projectRoot) {
        return projectRoot.resolve(".swarm").resolve("secret");
    }

    /** A new secret, hex. */
    public static String generate() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return HexFormat.of().formatHex(secret);
    }

    /** The secret an older project kept in .swarm/secret, hex; empty when there is none. */
    public static Optional<String> kept(Path projectRoot) {
        try {
            String hex = Files.readString(file(projectRoot), StandardCharsets.US_ASCII).strip();
            HexFormat.of().parseHex(hex);
            return hex.isEmpty() ? Optional.empty() : Optional.of(hex);
        } catch (NoSuchFileException none) {
            return Optional.empty();
        } catch (IOException | IllegalArgumentException unreadable) {
            throw new IllegalStateException("cannot read the message secret " + file(projectRoot) + ": " + unreadable.getMessage(), unreadable);
        }
    }
}
