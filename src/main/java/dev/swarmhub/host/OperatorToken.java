package dev.swarmhub.host;

import dev.swarmhub.kernel.Tokens;
import java.nio.file.Path;

/** The project's operator token in .swarm/operator.token (mode 0600, created once). */
public final class OperatorToken {

    private OperatorToken() {
    }

    public static Path file(Path projectRoot) {
        return projectRoot.resolve(".swarm").resolve("operator.token");
    }

    public static String readOrCreate(Path projectRoot) {
        return SecretFile.readOrCreate(file(projectRoot), Tokens::newToken);
    }

    /** True when the given token is the operator token (compared by hash, in constant time). */
    public static boolean matches(Path projectRoot, String token) {
        return Tokens.matches(token, Tokens.hash(readOrCreate(projectRoot)));
    }
}
