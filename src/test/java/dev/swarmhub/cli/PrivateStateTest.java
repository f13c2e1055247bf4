package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code .swarm/} holds private messages, tokens and the store (with the signing secret): it is 0700 and everything in it 0600. */
class PrivateStateTest {

    @TempDir
    Path project;

    @Test
    void afterAHubRanAndMessagesWereSentEverythingUnderSwarmIsTheOwnersOnly() throws Exception {
        CliRunner cli = new CliRunner(project);
        CliRunner.Result up = cli.run("up", "-d");
        assertThat(up.exitCode()).as(up.err()).isZero();
        try {
            Map<String, String> alice = cli.register("alice");
            cli.register("bob");
            assertThat(cli.run(alice, "send", "bob", "info", "the private plan").exitCode()).isZero();
            assertThat(cli.run(alice, "search", "plan").exitCode()).isZero();

            Map<String, String> modes = modes(project.resolve(".swarm"));
            assertThat(modes.keySet()).contains(".swarm", "swarm.db", "swarm.db-wal", "swarm.db-shm", "hub.log", "hub.out", "hub.json",
                    "hub.lock", "hub.sock", "operator.token", ".gitignore");
            assertThat(modes).allSatisfy((name, mode) -> assertThat(mode).as(name).isIn("rwx------ directory", "rw------- file"));
        } finally {
            assertThat(cli.run("down").exitCode()).isZero();
        }
    }

    @Test
    void anExistingProjectWithLooserModesIsTightenedWhenItsStoreOpens() throws Exception {
        CliRunner cli = new CliRunner(project);
        cli.register("alice");
        Path swarm = project.resolve(".swarm");
        try (Stream<Path> entries = Files.walk(swarm)) {
            for (Path entry : entries.toList()) {
                Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString(Files.isDirectory(entry) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        assertThat(cli.run("agents").exitCode()).isZero();
        assertThat(modes(swarm)).allSatisfy((name, mode) -> assertThat(mode).as(name).isIn("rwx------ directory", "rw------- file"));
    }

    /** Name → "permissions directory|file" of the directory and everything under it. */
    private static Map<String, String> modes(Path directory) throws IOException {
        Map<String, String> modes = new TreeMap<>();
        Files.walkFileTree(directory, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(Path entry, java.nio.file.attribute.BasicFileAttributes attributes)
                    throws IOException {
                return visitFile(entry, attributes);
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path entry, java.nio.file.attribute.BasicFileAttributes attributes) throws IOException {
                modes.put(entry.getFileName().toString(), PosixFilePermissions.toString(Files.getPosixFilePermissions(entry,
                        LinkOption.NOFOLLOW_LINKS)) + (attributes.isDirectory() ? " directory" : " file"));
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path entry, IOException failure) throws IOException {
                if (failure instanceof java.nio.file.NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE; // a temporary file the hub renamed away while we looked (hub.json's draft)
                }
                throw failure;
            }
        });
        return modes;
    }
}
