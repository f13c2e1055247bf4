package dev.swarmhub.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The state letter of a process or thread from its /proc stat file (R running, S sleeping, T stopped, Z zombie, ...). */
public final class ProcStat {

    private ProcStat() {
    }

    /** Empty when the process or thread is gone. */
    public static Optional<Character> state(Path statFile) {
        try {
            String stat = Files.readString(statFile);
            return Optional.of(stat.charAt(stat.lastIndexOf(')') + 2)); // the field after the name, which may hold spaces and ')'
        } catch (IOException gone) {
            return Optional.empty();
        }
    }
}
