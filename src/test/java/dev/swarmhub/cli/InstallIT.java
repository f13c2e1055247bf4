package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user gets without Maven: the distribution archive the build made, unpacked, and {@code swarm install}
 * from it or from the checkout, then {@code swarm} found on PATH and run from another directory. A Maven on
 * PATH that fails loudly shows any build the launcher would attempt.
 */
class InstallIT {

    @TempDir
    Path home;

    private Path prefix;
    private Path project;
    private Path elsewhere;
    private Path failingMaven;

    record Run(int exitCode, String out, String err) {
    }

    @BeforeEach
    void directories() throws IOException {
        prefix = home.resolve("local/bin");
        project = Files.createDirectories(home.resolve("project"));
        elsewhere = Files.createDirectories(home.resolve("elsewhere"));
        failingMaven = Files.createDirectories(home.resolve("maven"));
        Path mvn = failingMaven.resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho 'Maven was run' >&2\nexit 99\n");
        mvn.toFile().setExecutable(true);
    }

    /** A command line run by bash with this PATH, from {@code elsewhere}, on {@code project}. */
    private Run run(String path, String commandLine, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/bin/bash", "-c", commandLine + " \"$@\"", "swarm"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(elsewhere.toFile());
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(name -> name.startsWith("SWARM_"));
        environment.put("PATH", path);
        environment.put("SWARM_ROOT", project.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(process.waitFor(), out, err);
    }

    private String pathWithoutPrefix() {
        return failingMaven + ":/usr/local/bin:/usr/bin:/bin";
    }

    private String pathWithPrefix() {
        return prefix + ":" + pathWithoutPrefix();
    }

    private void assertInstalledCommandWorksFromAnotherDirectory() throws Exception {
        Run version = run(pathWithPrefix(), "swarm", "--version");
        assertThat(version.exitCode()).as("swarm --version: %s", version.err()).isZero();
        assertThat(version.out()).startsWith("swarm ");
        assertThat(version.err()).as("stderr: no build, no JVM warning").isEmpty();
        Run status = run(pathWithPrefix(), "swarm", "status");
        assertThat(status.exitCode()).as("swarm status: %s", status.err()).isZero();
        assertThat(status.out()).contains(project.resolve(".swarm/swarm.db").toString());
        assertThat(status.err()).isEmpty();
    }

    @Test
    void theArchiveRunsWithoutMavenAndInstallsACommandUsableFromAnyDirectory() throws Exception {
        Path archive = Path.of(System.getProperty("swarm.dist"));
        Path unpacked = Files.createDirectories(home.resolve("unpacked"));
        assertThat(new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", unpacked.toString()).inheritIO().start().waitFor()).isZero();
        Path distribution;
        try (Stream<Path> top = Files.list(unpacked)) {
            distribution = top.findFirst().orElseThrow();
        }
        assertThat(distribution.getFileName().toString()).startsWith("swarmhub-");
        assertThat(distribution.resolve("lib/swarm.jar")).exists();
        assertThat(distribution.resolve("pom.xml")).doesNotExist();

        Run unpackedVersion = run(pathWithoutPrefix(), distribution.resolve("swarm").toString(), "--version");
        assertThat(unpackedVersion.exitCode()).as("unpacked swarm --version: %s", unpackedVersion.err()).isZero();
        assertThat(unpackedVersion.err()).isEmpty();

        Run installed = run(pathWithoutPrefix(), distribution.resolve("swarm").toString(), "install", "--prefix", prefix.toString());
        assertThat(installed.exitCode()).as("install: %s", installed.err()).isZero();
        assertThat(installed.out()).contains("installed " + prefix.resolve("swarm"), "not on PATH");
        assertInstalledCommandWorksFromAnotherDirectory();
    }

    @Test
    void installFromTheCheckoutUpdatesInPlaceAndSaysWhetherTheDirectoryIsOnPath() throws Exception {
        String launcher = System.getProperty("swarm.launcher");
        Run first = run(pathWithoutPrefix(), launcher, "install", "--prefix", prefix.toString());
        assertThat(first.exitCode()).as("install: %s", first.err()).isZero();
        assertThat(first.out()).contains("installed " + prefix.resolve("swarm"), "is not on PATH");
        Path jar = home.resolve("local/lib/swarmhub/lib/swarm.jar");
        Object firstJar = Files.readAttributes(jar, BasicFileAttributes.class).fileKey();

        Run again = run(pathWithPrefix(), launcher, "install", "--prefix", prefix.toString());
        assertThat(again.exitCode()).as("install again: %s", again.err()).isZero();
        assertThat(again.out()).contains("updated " + prefix.resolve("swarm"), prefix + " is on PATH");
        assertThat(Files.readAttributes(jar, BasicFileAttributes.class).fileKey())
                .as("the jar replaced by a rename (a running hub keeps the file it opened)").isNotEqualTo(firstJar);
        assertInstalledCommandWorksFromAnotherDirectory();
    }

    @Test
    void installRefusesArgumentsItDoesNotKnow() throws Exception {
        String launcher = System.getProperty("swarm.launcher");
        Run noDirectory = run(pathWithoutPrefix(), launcher, "install", "--prefix");
        assertThat(noDirectory.exitCode()).isEqualTo(2);
        assertThat(noDirectory.err()).contains("--prefix needs a directory");
        Run unknown = run(pathWithoutPrefix(), launcher, "install", "--into", "x");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown argument '--into'");
        assertThat(prefix).doesNotExist();
    }
}
