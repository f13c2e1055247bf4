package dev.swarmhub.host;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The project's message-signing secret in .swarm/secret: 32 random bytes (hex), mode 0600,
 * created exclusively, so concurrent first users in any process end up with one secret.
 */
public final class MessageSecret {

    private MessageSecret() {
    }

    public static Path file(Path projectRoot) {
        return projectRoot.resolve(".swarm").resolve("secret");
    }

    public static byte[] readOrCreate(Path projectRoot) {
        String hex = SecretFile.readOrCreate(file(projectRoot), () -> {
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            return HexFormat.of().formatHex(secret);
        });
        return HexFormat.of().parseHex(hex);
    }
}
