package dev.swarmhub.hub;

import dev.swarmhub.store.FileIdentity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads a log file the hub rotates ({@code X.log.1} holds the lines before; the hub's own
 * .swarm/hub.log, a process's output under .swarm/runs/), from the file alone, so it works
 * whether a hub runs or not: the last lines, and following it as it is written, across rotations
 * (renamed away, or copied and truncated).
 */
public final class LogFileReader {

    private static final int CHUNK = 64 * 1024;
    /** Following re-checks the file this often even without a change notice from the file system. */
    private static final long RECHECK_MS = 1_000;

    private LogFileReader() {
    }

    /** The last {@code count} lines of the log, the oldest first; earlier ones from hub.log.1 when hub.log has fewer. */
    public static List<String> last(Path log, int count) throws IOException {
        List<String> lines = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ)) {
            lines.addAll(lastLines(channel, channel.size(), count));
        } catch (NoSuchFileException none) {
            // no log yet (no hub ever ran), or just rotated
        }
        return withEarlier(log, lines, count);
    }

    private static List<String> withEarlier(Path log, List<String> lines, int count) throws IOException {
        if (lines.size() >= count) {
            return lines;
        }
        List<String> all = new ArrayList<>();
        try (FileChannel earlier = FileChannel.open(rotated(log), StandardOpenOption.READ)) {
            all.addAll(lastLines(earlier, earlier.size(), count - lines.size()));
        } catch (NoSuchFileException none) {
            // never rotated
        }
        all.addAll(lines);
        return all;
    }

    static Path rotated(Path log) {
        return log.resolveSibling(log.getFileName() + ".1");
    }

    /**
     * Prints the last {@code count} lines, then every line the hub writes, until the thread is
     * interrupted. A rotated file is read to its end before the new one is opened; a line is
     * printed once it is whole. Wakes on the file system's notices for .swarm/ (inotify).
     */
    public static void follow(Path log, int count, Consumer<String> sink) throws IOException, InterruptedException {
        try (WatchService watcher = log.getFileSystem().newWatchService()) {
            WatchKey watch = watch(log.getParent(), watcher); // before the first read: no change after it goes unnoticed
            Followed file = Followed.open(log);
            List<String> first = new ArrayList<>();
            if (file != null) {
                file.position = wholeLinesEnd(file.channel, file.channel.size());
                first.addAll(lastLines(file.channel, file.position, count));
            }
            withEarlier(log, first, count).forEach(sink);
            while (true) {
                if (file != null) {
                    file.print(sink);
                }
                if (file == null ? Files.exists(log) : !file.identity.equals(FileIdentity.of(log))) {
                    if (file != null) { // rotated (renamed to hub.log.1) or deleted: its last lines, then the new file
                        file.print(sink);
                        file.printRest(sink);
                        file.channel.close();
                    }
                    file = Followed.open(log);
                    continue;
                }
                if (file != null && file.channel.size() < file.position) {
                    file.position = 0; // truncated by hand: read it again from the start
                    file.partial.reset();
                }
                if (watch == null || !watch.isValid()) {
                    watch = watch(log.getParent(), watcher); // .swarm/ was removed: watch it once it is back
                }
                WatchKey changed = watcher.poll(RECHECK_MS, TimeUnit.MILLISECONDS);
                if (changed != null) {
                    changed.pollEvents();
                    changed.reset();
                }
            }
        } catch (ClosedWatchServiceException closed) {
            throw new InterruptedException("stopped");
        }
    }

    private static WatchKey watch(Path directory, WatchService watcher) {
        try {
            return directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException noDirectory) {
            return null; // the poll's timeout re-checks
        }
    }

    /** The log file being followed: its channel (kept open across a rename), identity and how far it was printed. */
    private static final class Followed {
        final FileChannel channel;
        final Object identity;
        long position;
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        private Followed(FileChannel channel, Object identity) {
            this.channel = channel;
            this.identity = identity;
        }

        /** The file now at the path, or null; its identity is the opened file's (a rotation while opening opens again). */
        static Followed open(Path log) throws IOException {
            while (true) {
                Object before = FileIdentity.of(log);
                FileChannel channel;
                try {
                    channel = FileChannel.open(log, StandardOpenOption.READ);
                } catch (NoSuchFileException notYet) {
                    return null;
                }
                if (before.equals(FileIdentity.of(log))) {
                    return new Followed(channel, before);
                }
                channel.close();
            }
        }

        /** Prints each whole line written since the last call. */
        void print(Consumer<String> sink) throws IOException {
            ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
            int read;
            while ((read = channel.read(buffer, position)) > 0) {
                position += read;
                byte[] bytes = buffer.array();
                int start = 0;
                for (int i = 0; i < read; i++) {
                    if (bytes[i] == '\n') {
                        partial.write(bytes, start, i - start);
                        sink.accept(partial.toString(StandardCharsets.UTF_8));
                        partial.reset();
                        start = i + 1;
                    }
                }
                partial.write(bytes, start, read - start);
                buffer.clear();
            }
        }

        /** The file was rotated away: a last line without its newline is printed too. */
        void printRest(Consumer<String> sink) {
            if (partial.size() > 0) {
                sink.accept(partial.toString(StandardCharsets.UTF_8));
                partial.reset();
            }
        }
    }

    /** Where the whole lines among the first {@code size} bytes end (after the last newline). */
    private static long wholeLinesEnd(FileChannel channel, long size) throws IOException {
        for (long end = size; end > 0; end -= CHUNK) {
            long start = Math.max(0, end - CHUNK);
            byte[] bytes = read(channel, start, end);
            for (int i = bytes.length - 1; i >= 0; i--) {
                if (bytes[i] == '\n') {
                    return start + i + 1;
                }
            }
        }
        return 0;
    }

    /** The last {@code count} lines among the first {@code end} bytes, reading backwards only as far as needed. */
    private static List<String> lastLines(FileChannel channel, long end, int count) throws IOException {
        if (count <= 0 || end == 0) {
            return List.of();
        }
        long window = Math.min(end, CHUNK);
        while (true) {
            byte[] bytes = read(channel, end - window, end);
            int newlines = 0;
            for (byte b : bytes) {
                newlines += b == '\n' ? 1 : 0;
            }
            if (newlines > count || window == end) {
                List<String> lines = new ArrayList<>(Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n", -1)));
                if (lines.get(lines.size() - 1).isEmpty()) {
                    lines.remove(lines.size() - 1); // the text ends with a newline
                }
                if (window < end) {
                    lines.remove(0); // begins mid-line
                }
                return new ArrayList<>(lines.subList(Math.max(0, lines.size() - count), lines.size()));
            }
            window = Math.min(end, window * 2);
        }
    }

    private static byte[] read(FileChannel channel, long start, long end) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) (end - start));
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, start + buffer.position()) < 0) {
                break; // shorter than it was (truncated meanwhile)
            }
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }
}
