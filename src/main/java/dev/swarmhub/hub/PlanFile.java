package dev.swarmhub.hub;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.plan.Plan;
import dev.swarmhub.plan.PlanText;
import dev.swarmhub.plan.Section;
import dev.swarmhub.store.PrivateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The coordination document's file (setting {@code doc.file}, COORDINATION.md): the hub writes
 * it after every change (temporary file, fsync, rename: a reader sees the old file or the new one,
 * never half of one) and takes in what someone changed in it by hand ({@link Plan#takeHandEdit}).
 * A file is a hand edit when its hash is none of the last two the hub wrote; those are kept in
 * {@value #WRITTEN} with their sections, written before the rename, so a hub killed at any point
 * knows the file it finds. A copy of every hand edit is kept in {@code .swarm/hand-edits/} before
 * it is taken in. An edit saved in the instant between the hub's last look and its rename is still
 * seen: the hub keeps a hard link to the file it replaces and reads it after the rename.
 */
final class PlanFile {

    static final String WRITTEN = "doc-written.json";
    private static final int KEPT_WRITTEN = 2;
    private static final int KEPT_HAND_EDITS = 20;
    /** More than the most sections with the most text each: not a document, however edited. */
    private static final int LARGEST_FILE = 16 * 1024 * 1024;
    private static final long WAKE_AT_LEAST_EVERY_MS = 1_000;
    private static final long SETTLE_MS = 300;
    private static final Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString("rw-r--r--");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Logger LOG = LoggerFactory.getLogger(PlanFile.class);

    /** What the hub wrote last: the file's name and its last files, newest first. */
    record Written(String file, List<Render> renders) {
        static final Written NONE = new Written("", List.of());
    }

    /** One file written: its SHA-256 and its sections. */
    record Render(String sha256, Map<String, Plan.Written> sections) {
    }

    private final Path root;
    private final Plan plan;
    private final Store store;
    private final Services services;
    /** The revision and the file (its attributes) of the last round that found them in agreement: the next round has nothing to do while both stay. */
    private long agreedRevision = -1;
    private Object agreedFile;
    /** A hand-edited file's attributes when first seen so, and since when (nanoTime): it is taken in once they stayed. */
    private Object settling;
    private long settlingSince;

    PlanFile(Path root, Services services) {
        this.root = root;
        this.services = services;
        this.plan = services.plan;
        this.store = services.store;
    }

    /**
     * The hub's loop: a round at each change of the document or a setting, and every second
     * (another process's change, a hand edit). Waking at every event cost two reads per commit.
     */
    Thread start() {
        return BackgroundLoop.start("swarm-doc", () -> {
            long seen = store.signalCount(Store.Signal.PLANNED);
            sync();
            store.awaitSignal(Store.Signal.PLANNED, seen, WAKE_AT_LEAST_EVERY_MS);
        });
    }

    /** One round: takes in a hand edit of the file, then writes the file unless it is the document already. */
    synchronized void sync() {
        String name = services.settings.value(Plan.FILE);
        Path file = root.resolve(name);
        long revision = plan.revision();
        Object attributes = attributes(file);
        if (revision == agreedRevision && attributes != null && attributes.equals(agreedFile)) {
            return;
        }
        try {
            Written written = written(name);
            Optional<byte[]> found = read(name, file);
            String foundSha = found.map(PlanFile::sha256).orElse(null);
            if (found.isPresent() && written.renders().stream().noneMatch(render -> render.sha256().equals(foundSha))) {
                if (stillBeingWritten(attributes)) {
                    return; // neither taken in half written nor overwritten: the next round looks again
                }
                takeIn(name, found.get(), written);
                written = written(name);
            }
            settling = null;
            Plan.Document document = plan.current();
            String text = PlanText.render(document.sections());
            if (!sha256(text.getBytes(StandardCharsets.UTF_8)).equals(foundSha)) {
                write(name, file, text, document, written, foundSha);
            }
            agreedRevision = document.revision();
            agreedFile = attributes(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + name + ": " + e.getMessage(), e); // the loop logs it and tries again
        }
    }

    /**
     * Whether the edited file changed within the last {@value #SETTLE_MS} ms: an editor writing it in
     * place may be half way, and what it wrote so far would read as sections removed.
     */
    private boolean stillBeingWritten(Object attributes) {
        long now = System.nanoTime();
        if (!Objects.equals(attributes, settling)) {
            settling = attributes;
            settlingSince = now;
        }
        return now - settlingSince < TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
    }

    private void takeIn(String name, byte[] content, Written written) throws IOException {
        Path copy = keepCopy(name, content);
        Plan.Taken taken = plan.takeHandEdit(name, new String(content, StandardCharsets.UTF_8),
                written.renders().stream().map(Render::sections).toList());
        if (taken.changedAnything() || !taken.refused().isEmpty()) {
            LOG.info("took in a hand edit of {} (a copy is in {}): sections taken {}, kept as conflicts {}, refused {}", name, copy,
                    taken.taken(), taken.conflicts(), taken.refused());
        }
    }

    /** Writes the file as the document at its revision; a hand edit saved meanwhile is taken in (the next round writes again). */
    private void write(String name, Path file, String text, Plan.Document document, Written written, String expectedSha) throws IOException {
        Map<String, Plan.Written> sections = new LinkedHashMap<>();
        for (Section section : document.sections()) {
            sections.put(section.name(), new Plan.Written(section.version(), section.text()));
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<Render> renders = new ArrayList<>();
        renders.add(new Render(sha256(bytes), sections));
        written.renders().stream().limit(KEPT_WRITTEN - 1).forEach(renders::add);
        keepWritten(new Written(name, renders)); // before the rename: a hub killed after it knows the new file
        Path directory = file.toAbsolutePath().getParent();
        Files.createDirectories(directory);
        Path draft = directory.resolve("." + file.getFileName() + ".swarm-draft");
        Path replaced = directory.resolve("." + file.getFileName() + ".swarm-replaced");
        try (FileChannel out = FileChannel.open(draft, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            out.write(java.nio.ByteBuffer.wrap(bytes));
            out.force(true);
        }
        Files.setPosixFilePermissions(draft, READABLE);
        Files.deleteIfExists(replaced);
        boolean linked = expectedSha != null && link(replaced, file);
        Files.move(draft, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
        if (linked) {
            byte[] last = Files.readAllBytes(replaced);
            Files.delete(replaced);
            if (!sha256(last).equals(expectedSha)) {
                takeIn(name, last, new Written(name, written.renders())); // saved between the look and the rename
            }
        }
    }

    /** A hard link to the file about to be replaced (false when the file system has none: the window stays, a few microseconds). */
    private static boolean link(Path link, Path file) {
        try {
            Files.createLink(link, file);
            return true;
        } catch (IOException | UnsupportedOperationException noLink) {
            return false;
        }
    }

    // ------------------------------------------------------------------------------------ files

    /** The file's bytes, when it is a regular file (a link put in its place is not followed: it is replaced). */
    private Optional<byte[]> read(String name, Path file) throws IOException {
        if (Files.isSymbolicLink(file)) {
            LOG.warn("{} is a symbolic link: not followed, replaced by the document", file);
            return Optional.empty();
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            byte[] content = java.nio.channels.Channels.newInputStream(in).readNBytes(LARGEST_FILE + 1);
            if (content.length > LARGEST_FILE) {
                LOG.warn("{} is more than {} bytes, more than a document holds: it is replaced, a copy kept in {}", file, LARGEST_FILE,
                        keepCopy(name, content));
                return Optional.empty();
            }
            return Optional.of(content);
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        } // a link put in its place since the look above fails here (NOFOLLOW): the next round replaces it
    }

    /** Size, modification time and identity: a change to any of them makes the next round look at the file. */
    private static Object attributes(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return List.of(attributes.size(), attributes.lastModifiedTime(), Objects.requireNonNullElse(attributes.fileKey(), ""));
        } catch (IOException gone) {
            return null;
        }
    }

    private Path keepCopy(String name, byte[] content) throws IOException {
        Path directory = PrivateFiles.directory(root.resolve(".swarm").resolve("hand-edits"));
        String stamp = Instant.now().toString().replace(':', '-');
        Path copy = directory.resolve(stamp + "-" + name.replace('/', '_'));
        for (int n = 2; Files.exists(copy, LinkOption.NOFOLLOW_LINKS); n++) {
            copy = directory.resolve(stamp + "-" + n + "-" + name.replace('/', '_'));
        }
        Files.write(PrivateFiles.newFile(copy), content);
        try (var copies = Files.list(directory)) {
            List<Path> all = copies.sorted().toList();
            for (Path old : all.subList(0, Math.max(0, all.size() - KEPT_HAND_EDITS))) {
                Files.deleteIfExists(old);
            }
        }
        return copy;
    }

    /** What the hub wrote last, for this file name (none: the file was never written by a hub, or under another name). */
    private Written written(String name) {
        Path record = root.resolve(".swarm").resolve(WRITTEN);
        try {
            Written written = JSON.readValue(Files.readString(record), Written.class);
            return name.equals(written.file()) ? written : Written.NONE;
        } catch (NoSuchFileException never) {
            return Written.NONE;
        } catch (IOException | RuntimeException unreadable) {
            LOG.warn("cannot read {}: {}; the file is judged as if no hub had written it", record, unreadable.toString());
            return Written.NONE;
        }
    }

    private void keepWritten(Written written) throws IOException {
        Path swarm = root.resolve(".swarm");
        Path draft = swarm.resolve(WRITTEN + ".draft");
        Files.deleteIfExists(draft); // left by a hub killed while writing it
        PrivateFiles.newFile(draft);
        try (FileChannel out = FileChannel.open(draft, StandardOpenOption.WRITE)) {
            out.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(written)));
            out.force(true);
        }
        Files.move(draft, swarm.resolve(WRITTEN), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
