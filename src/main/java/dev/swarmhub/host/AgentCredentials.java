package dev.swarmhub.host;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Each agent's token, kept for the agent's own processes in {@code .swarm/agents/ID.token}: the
 * file is created 0600 (exclusively, as a fresh private draft, then renamed over the old one, so
 * no reader sees half a token) in a 0700 directory, so no other user reads it; the token never
 * appears on a command line, in an environment, or in a terminal. The CLI reads it only for a
 * process descending from the agent's own registered process (see {@code Swarm.agentCaller}),
 * so a command typed in another terminal does not act as the agent by accident. Processes of the
 * same user are trusted as they are with {@code .swarm/operator.token}. A resumed agent gets a
 * new token and the file is replaced: what an earlier run of the agent still holds stops working.
 */
public final class AgentCredentials {

    private AgentCredentials() {
    }


    /** As long as a store write may wait: a registration is one, and its token's file. */
    private static final java.time.Duration REGISTERING_WAIT = java.time.Duration.ofSeconds(30);

    /**
     * Runs {@code work} (a registration that mints a token, and the saving of that token) while no
     * other thread or process of this host does the same for the project (reentrant): tokens are saved in the
     * order they were minted, so the kept one is the agent's current one. A registration held up
     * longer than {@link #REGISTERING_WAIT} by another (paused) is refused: unavailable, retry.
     */
    public static <T> T whileRegistering(Path projectRoot, Supplier<T> work) {
        Path lockFile = projectRoot.resolve(".swarm").resolve("agents").resolve(".registering.lock");
        HostLock.Held registering = HostLock.hold(lockFile, REGISTERING_WAIT).orElseThrow(() -> new SwarmException(SwarmException.Kind.UNAVAILABLE,
                "another registration here has not finished after " + REGISTERING_WAIT.toSeconds() + " s (its process may be paused): retry"));
        try (registering) {
            return work.get();
        }
    }

    /** Registers (or resumes) an agent and keeps its new token, in minting order against every other registration here. */
    public static Agents.Registered register(Path projectRoot, Supplier<Agents.Registered> registering) {
        return whileRegistering(projectRoot, () -> {
            Agents.Registered registered = registering.get();
            save(projectRoot, registered.agent().id(), registered.token());
            return registered;
        });
    }

    public static Path file(Path projectRoot, String id) {
        return projectRoot.resolve(".swarm").resolve("agents").resolve(Limits.agentId(id) + ".token");
    }

    public static void save(Path projectRoot, String id, String token) {
        Path file = file(projectRoot, id);
        try {
            Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path draft = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".draft",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(draft, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
                Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(draft);
            }
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot keep agent " + id + "'s token in " + file + ": " + e.getMessage(), e);
        }
    }

    /** The kept token, or empty when none is kept. */
    public static Optional<String> read(Path projectRoot, String id) {
        try {
            String token = Files.readString(file(projectRoot, id), StandardCharsets.UTF_8).strip();
            return token.isEmpty() ? Optional.empty() : Optional.of(token);
        } catch (NoSuchFileException none) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot read " + file(projectRoot, id) + ": " + e.getMessage(), e);
        }
    }

    /** Forgets the agent's token (it left, or was removed). */
    public static void remove(Path projectRoot, String id) {
        try {
            Files.deleteIfExists(file(projectRoot, id));
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot remove " + file(projectRoot, id) + ": " + e.getMessage(), e);
        }
    }
}
