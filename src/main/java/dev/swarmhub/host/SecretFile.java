package dev.swarmhub.host;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;

/**
 * A small secret kept in a file readable only by its owner (mode 0600). The first caller creates
 * it; concurrent first callers, in any process, all end up with the same content: the content is
 * written to a private temporary file, then published with a hard link, which fails atomically
 * when the file already exists. Nobody ever reads a half-written secret.
 */
public final class SecretFile {

    private SecretFile() {
    }

    public static String readOrCreate(Path file, Supplier<String> generator) {
        try {
            if (Files.exists(file)) {
                return read(file);
            }
            // the store's PrivateFiles keeps an existing directory private; a missing one is created so
            Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path draft = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".draft",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(draft, generator.get() + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE);
                Files.createLink(file, draft);
            } catch (FileAlreadyExistsException lostTheRace) {
                // another process published first; its secret is the one
            } finally {
                Files.deleteIfExists(draft);
            }
            return read(file);
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot read or create " + file + ": " + e.getMessage(), e);
        }
    }

    private static String read(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (content.isEmpty()) {
            throw new IOException("the file is empty");
        }
        return content;
    }
}
