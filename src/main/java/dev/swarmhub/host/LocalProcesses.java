package dev.swarmhub.host;

import dev.swarmhub.kernel.ProcessProbe;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Processes of this machine, through the JDK's process API. The host is named by its host name
 * and a digest of its machine id and pid namespace: two machines, or two containers, can share a
 * host name, and a pid of one means nothing in the other.
 */
public final class LocalProcesses implements ProcessProbe {

    private static final int DIGEST_HEX_DIGITS = 8;

    private final String hostName = readHostName();
    private final String host = hostName + processSpaceDigest().map(digest -> "/" + digest).orElse("");

    @Override
    public String host() {
        return host;
    }

    @Override
    public String hostName() {
        return hostName;
    }

    /**
     * Processes seen, with their start times. The JDK's process info reads several files of /proc
     * (its command line, its user); a handle's {@link ProcessHandle#isAlive} reads one and is false
     * once its pid belongs to another process (it compares start times), so a process seen before
     * costs one read. A hub checks agents' processes at each sweep (a batch of them) and each call.
     */
    private final Map<Long, Seen> seen = new ConcurrentHashMap<>();
    private static final int SEEN_LIMIT = 16_384;

    private record Seen(ProcessHandle handle, long startedAt) {
    }

    @Override
    public OptionalLong startedAt(long pid) {
        Seen known = seen.get(pid);
        if (known != null && known.handle().isAlive()) {
            return OptionalLong.of(known.startedAt());
        }
        Optional<Seen> now = ProcessHandle.of(pid).flatMap(process -> process.info().startInstant().map(start -> new Seen(process, start.toEpochMilli())));
        if (now.isEmpty()) {
            seen.remove(pid);
            return OptionalLong.empty();
        }
        if (seen.size() >= SEEN_LIMIT) {
            seen.clear(); // pids never asked about again; the next call of each reads its info once more
        }
        seen.put(pid, now.get());
        return OptionalLong.of(now.get().startedAt());
    }

    /** A digest of what tells this process space from another's with the same host name; empty where neither is readable (not Linux). */
    private static Optional<String> processSpaceDigest() {
        String machine = firstReadable(Path.of("/etc/machine-id"), Path.of("/var/lib/dbus/machine-id"));
        String pidNamespace;
        try {
            pidNamespace = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
        } catch (IOException | UnsupportedOperationException notLinux) {
            pidNamespace = "";
        }
        if (machine.isEmpty() && pidNamespace.isEmpty()) {
            return Optional.empty();
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((machine + "\n" + pidNamespace).getBytes(StandardCharsets.UTF_8));
            return Optional.of(HexFormat.of().formatHex(digest).substring(0, DIGEST_HEX_DIGITS));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String firstReadable(Path... files) {
        for (Path file : files) {
            try {
                String content = Files.readString(file).strip();
                if (!content.isEmpty()) {
                    return content;
                }
            } catch (IOException absent) {
                // the next one
            }
        }
        return "";
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
