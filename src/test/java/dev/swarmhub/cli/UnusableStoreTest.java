package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.store.PostgresAddress;
import dev.swarmhub.store.Stores;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.PostgresServer;
import dev.swarmhub.testing.TestStores;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store the CLI cannot use: commands and {@code swarm up} fail (exit non-zero) with one line saying why, no stack trace. */
class UnusableStoreTest {

    @TempDir
    Path project;

    /**
     * The project's store cannot be reached (nothing listens at its address) while a hub runs (on
     * the database itself, named by its SWARM_STORE): status still says what it knows of the hub,
     * then why the store is unreadable, without its password.
     */
    @Test
    void statusSaysWhatItKnowsOfTheHubWhenTheStoreCannotBeReached() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        int nothingListens;
        try (ServerSocket closedAgain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothingListens = closedAgain.getLocalPort();
        }
        String unreachable = database.replace(":" + URI.create(database).getPort() + "/", ":" + nothingListens + "/");
        Stores.choose(project, unreachable, null);
        String password = PostgresAddress.parse(database, null, Map.of()).password();
        try (HubProcess hub = HubProcess.start(project, Map.of("SWARM_STORE", database))) {
            CliRunner cli = new CliRunner(project);
            String why = "swarm: cannot reach the store " + PostgresAddress.parse(unreachable, null, Map.of()) + ": Connection refused\n";

            CliRunner.Result status = cli.run("status");
            assertThat(status.exitCode()).isEqualTo(1);
            assertThat(status.out()).startsWith("hub running, pid " + hub.pid() + ", up ");
            assertThat(status.err()).isEqualTo(why);

            CliRunner.Result json = cli.run("status", "--json");
            assertThat(json.exitCode()).isEqualTo(1);
            assertThat(json.json().get("running").asBoolean()).isTrue();
            assertThat(json.json().get("pid").asLong()).isEqualTo(hub.pid());
            assertThat(json.json().at("/error/code").asString()).isEqualTo("unavailable");
            assertThat("swarm: " + json.json().at("/error/message").asString() + "\n").isEqualTo(why).isEqualTo(json.err());
            assertThat(status.out() + status.err() + json.out()).doesNotContain(password);
        }
    }

    @Test
    void anAddressWithAPortOutOfRangeIsRefusedAsSuchAndNotKept() {
        CliRunner.Result up = new CliRunner(project).run("up", "--store", "postgresql://127.0.0.1:99999/x");
        assertThat(up.exitCode()).isEqualTo(2);
        assertThat(up.err()).isEqualTo("swarm: the PostgreSQL address's port 99999 is not a port number (1 to 65535): postgresql://127.0.0.1:99999/x\n");
        assertThat(project.resolve(".swarm/config")).as("the store chosen before is kept").satisfiesAnyOf(
                config -> assertThat(config).doesNotExist(), config -> assertThat(config).content().doesNotContain("99999"));
    }

    /** A user that may only read the store's tables: commands that write, and the hub (which writes as it starts), are denied, saying why. */
    @Test
    void aReadOnlyUserIsDeniedWithOneLineNamingTheStoreAndTheRightItLacks() {
        String database = PostgresServer.shared().newDatabase();
        String reader = PostgresServer.shared().newUser(database);
        Stores.choose(project, database, null);
        CliRunner cli = new CliRunner(project);
        assertThat(cli.run("status").exitCode()).as("the owner makes the schema").isZero();
        PostgresAddress asReader = PostgresAddress.parse(reader, null, Map.of());
        PostgresServer.shared().asOwner(database, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + asReader.user());
        Stores.choose(project, reader, null);
        String denied = "the store " + asReader + " needs a user that may create tables in the database and read and write them; user "
                + asReader.user() + " may not: permission denied for table ";

        assertThat(cli.run("status").exitCode()).as("reads pass").isZero();
        CliRunner.Result register = cli.run("agent", "register", "--id", "a1");
        assertThat(register.exitCode()).isEqualTo(3);
        assertThat(register.err()).startsWith("swarm: denied: " + denied).doesNotContain("\tat ").hasLineCount(1);
        try (HubProcess up = HubProcess.launch(project)) {
            assertThat(up.awaitExit()).isEqualTo(3);
            assertThat(up.log()).contains("swarm: denied: " + denied).doesNotContain("\tat ").doesNotContain(asReader.password());
        }
    }

    @Test
    void aStoreANewerVersionMigratedIsRefusedByCommandsAndByUp() {
        CliRunner cli = new CliRunner(project);
        String newer = TestStores.migrateAhead(project);
        String refusal = " has schema version " + newer + ", newer than this swarm's ";

        CliRunner.Result status = cli.run("status");
        assertThat(status.exitCode()).isEqualTo(1);
        assertThat(status.err()).startsWith("swarm: the database at ").contains(refusal).endsWith(": upgrade swarm\n");

        try (HubProcess up = HubProcess.launch(project)) {
            assertThat(up.awaitExit()).isEqualTo(1);
            assertThat(up.log()).contains(refusal).doesNotContain("\tat ");
        }
        CliRunner.Result detached = cli.run("up", "--detach");
        assertThat(detached.exitCode()).isEqualTo(1);
        assertThat(detached.err()).startsWith("swarm: the hub did not start: the database at ").contains(refusal);
    }
}
