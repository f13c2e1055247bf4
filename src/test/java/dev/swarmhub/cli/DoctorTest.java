package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.swarmhub.hub.Hub;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** swarm doctor: a healthy project passes; each planted problem is named, with what to do, and fails or warns as documented. */
class DoctorTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    private Hub hub;

    @AfterEach
    void stopHub() {
        if (hub != null) {
            hub.close();
        }
    }

    private CliRunner cli() {
        return new CliRunner(project);
    }

    /** The finding of one check in doctor's JSON document. */
    private static JsonNode check(CliRunner.Result doctor, String name) {
        for (JsonNode finding : doctor.json().get("checks")) {
            if (finding.get("check").asString().equals(name)) {
                return finding;
            }
        }
        throw new AssertionError("no check " + name + " in " + doctor.out());
    }

    /** A project as swarm leaves it after its first command: its store and operator token made. */
    private CliRunner usedProject() {
        CliRunner cli = cli();
        cli.operatorToken();
        return cli;
    }

    @Test
    void aHealthyProjectWithItsHubServingPasses() throws Exception {
        Process git = new ProcessBuilder("git", "init", "-q", project.toString()).redirectErrorStream(true).start();
        assertThat(git.waitFor()).isZero();
        CliRunner cli = usedProject();
        for (String[] install : new String[][] {{"hooks", "install", "--client", "claude"}, {"hooks", "install", "--client", "codex"},
                {"guard", "install"}}) {
            CliRunner.Result installed = cli.run(install);
            assertThat(installed.exitCode()).as(installed.err()).isZero();
        }
        hub = Hub.start(project, services -> (args, env, cwd, out, err) -> Swarm.run(args, env, cwd, out, err, services), Hub.Address.LOOPBACK);

        CliRunner.Result doctor = cli.run("doctor", "--json");

        assertThat(doctor.exitCode()).as(doctor.out() + doctor.err()).isZero();
        assertThat(doctor.json().get("healthy").asBoolean()).isTrue();
        for (String name : new String[] {"store", "store schema", "private files", "hub", "hooks claude", "hooks codex", "commit guard"}) {
            assertThat(check(doctor, name).get("status").asString()).as(name + ": " + check(doctor, name)).isEqualTo("ok");
        }
        assertThat(check(doctor, "hub").get("detail").asString()).contains("pid " + ProcessHandle.current().pid(), "HTTP 200");
        assertThat(check(doctor, "tmux").get("status").asString()).as("tmux is optional").isIn("ok", "warning");
        CliRunner.Result text = cli.run("doctor");
        assertThat(text.out()).contains("ok       store", "ok       hub").doesNotContain("failed ");
    }

    @Test
    void noHubIsAWarningWithTheWayToStartOneAndTheDoctorChangesNothing() throws Exception {
        CliRunner cli = usedProject();
        Map<Path, String> before = snapshot();

        CliRunner.Result doctor = cli.run("doctor", "--json");

        assertThat(doctor.exitCode()).as("warnings do not fail: " + doctor.out()).isZero();
        JsonNode hubCheck = check(doctor, "hub");
        assertThat(hubCheck.get("status").asString()).isEqualTo("warning");
        assertThat(hubCheck.get("detail").asString()).contains("no hub serves");
        assertThat(hubCheck.get("advice").asString()).contains("swarm up -d");
        assertThat(check(doctor, "hooks claude").get("status").asString()).isEqualTo("warning");
        assertThat(check(doctor, "hooks claude").get("advice").asString()).contains("swarm hooks install --client claude");
        assertThat(snapshot()).as("no file of the project made, changed or removed").isEqualTo(before);
        assertThat(Hub.running(project)).as("no hub started").isEmpty();
    }

    @Test
    void aSecretOthersMayReadFailsUntilFixed() throws Exception {
        CliRunner cli = usedProject();
        Path token = project.resolve(".swarm/operator.token");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));

        CliRunner.Result doctor = cli.run("doctor", "--json");

        assertThat(doctor.exitCode()).isEqualTo(1);
        assertThat(doctor.json().get("healthy").asBoolean()).isFalse();
        JsonNode files = check(doctor, "private files");
        assertThat(files.get("status").asString()).isEqualTo("failed");
        assertThat(files.get("detail").asString()).contains(".swarm/operator.token 0644");
        assertThat(files.get("advice").asString()).contains("swarm doctor --fix", "chmod go-rwx");
        assertThat(Files.getPosixFilePermissions(token)).as("the doctor only looks").isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        CliRunner.Result text = cli.run("doctor");
        assertThat(text.out()).contains("failed   private files", "-> swarm doctor --fix", "1 check(s) failed");

        CliRunner.Result fixed = cli.run("doctor", "--fix", "--json");
        assertThat(fixed.exitCode()).as(fixed.out()).isZero();
        assertThat(check(fixed, "private files").get("detail").asString()).contains("made private again", "operator.token");
        assertThat(Files.getPosixFilePermissions(token)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(check(cli.run("doctor", "--json"), "private files").get("status").asString()).isEqualTo("ok");
    }

    @Test
    void aCorruptedStoreFailsWithTheWayToRestoreIt() throws Exception {
        assumeThat(TestStores.onPostgres()).as("a SQLite file to damage").isFalse();
        CliRunner cli = usedProject();
        Path database = project.resolve(".swarm/swarm.db");
        assertThat(project.resolve(".swarm/swarm.db-wal")).as("every connection closed: the file holds everything").doesNotExist();
        try (RandomAccessFile file = new RandomAccessFile(database.toFile(), "rw")) {
            assertThat(file.length()).as("more than the first page").isGreaterThan(8192);
            byte[] garbage = new byte[(int) file.length() - 4096];
            Arrays.fill(garbage, (byte) 0x5A);
            file.seek(4096); // every page after the first (which holds the header): the schema's and the tables'
            file.write(garbage);
        }

        CliRunner.Result doctor = cli.run("doctor", "--json");

        assertThat(doctor.exitCode()).isEqualTo(1);
        JsonNode store = check(doctor, "store");
        assertThat(store.get("status").asString()).isEqualTo("failed");
        assertThat(store.get("detail").asString()).contains("is damaged");
        assertThat(store.get("advice").asString()).contains("swarm restore");
    }

    @Test
    void aClientsHookTakenOutFailsWithTheWayToPutItBack() throws Exception {
        CliRunner cli = usedProject();
        assertThat(cli.run("hooks", "install", "--client", "claude").exitCode()).isZero();
        Path settings = project.resolve(".claude/settings.json");
        ObjectNode edited = (ObjectNode) JSON.readTree(Files.readString(settings));
        ((ObjectNode) edited.get("hooks")).remove("Stop"); // a hand edit
        Files.writeString(settings, JSON.writeValueAsString(edited));

        CliRunner.Result doctor = cli.run("doctor", "--json");

        assertThat(doctor.exitCode()).isEqualTo(1);
        JsonNode hooks = check(doctor, "hooks claude");
        assertThat(hooks.get("status").asString()).isEqualTo("failed");
        assertThat(hooks.get("detail").asString()).contains("missing for Stop");
        assertThat(hooks.get("advice").asString()).contains("swarm hooks install --client claude");
        assertThat(cli.run("hooks", "install", "--client", "claude").exitCode()).isZero();
        assertThat(check(cli.run("doctor", "--json"), "hooks claude").get("status").asString()).isEqualTo("ok");
    }

    /** Every path under the project with its size, modification time and mode. */
    private Map<Path, String> snapshot() throws IOException {
        Map<Path, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(project)) {
            for (Path path : all.toList()) {
                files.put(path, Files.size(path) + " " + Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS) + " "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)));
            }
        }
        return files;
    }
}
