package dev.swarmhub.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** Tells whether a path still names the file it named before (not deleted, not replaced). */
public final class FileIdentity {

    private FileIdentity() {
    }

    /** The file's identity (device and inode); a fresh object, equal to nothing, when it is gone. */
    public static Object of(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException gone) {
            return new Object();
        }
    }
}
