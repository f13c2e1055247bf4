package dev.swarmhub.host;

import dev.swarmhub.kernel.ProcessProbe;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Processes of this machine, through the JDK's process API. */
public final class LocalProcesses implements ProcessProbe {

    private final String host = readHostName();

    @Override
    public String host() {
        return host;
    }

    @Override
    public OptionalLong startedAt(long pid) {
        return ProcessHandle.of(pid).flatMap(process -> process.info().startInstant())
                .map(start -> OptionalLong.of(start.toEpochMilli())).orElse(OptionalLong.empty());
    }

    /** The kernel's host name without a DNS lookup (which may hang on a closed network). */
    private static String readHostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException notLinux) {
            // fall through to the JDK's view
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
