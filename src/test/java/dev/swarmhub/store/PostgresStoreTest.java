package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What only the PostgreSQL store does: two stores on one database (two hubs) wake each other by
 * LISTEN/NOTIFY, also after the listening connection was lost; the store clock is the database's;
 * the password never shows in messages.
 */
class PostgresStoreTest {

    @Test
    void aCommitOnOneStoreWakesTheOtherAndAfterALostListenerTheOtherLooksAgain() throws Exception {
        String database = PostgresServer.shared().newDatabase();
        PostgresAddress address = PostgresAddress.parse(database, null, Map.of());
        try (Store a = PostgresStore.open(address, null); Store b = PostgresStore.open(address, null)) {
            long seen = b.signalCount(Store.Signal.FREED);
            long mailSeen = b.signalCount(Store.Signal.MAIL);
            a.write(tx -> {
                tx.appendEvent("lease.released", "A", "a.py", Map.of());
                return null;
            });
            b.awaitSignal(Store.Signal.FREED, seen, 30_000);
            assertThat(b.signalCount(Store.Signal.FREED)).as("woken by the other store's commit").isGreaterThan(seen);
            assertThat(b.signalCount(Store.Signal.MAIL)).as("only the signals the commit raised").isEqualTo(mailSeen);

            long beforeLoss = b.signalCount(Store.Signal.MAIL);
            try (Connection admin = DriverManager.getConnection(address.jdbcUrl(), address.user(), address.password());
                    Statement statement = admin.createStatement()) {
                statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'swarmhub listener'");
            }
            Await.until("every signal raised once listening again", () -> b.signalCount(Store.Signal.MAIL) > beforeLoss);
            long again = b.signalCount(Store.Signal.FREED);
            a.write(tx -> {
                tx.appendEvent("lease.expired", "A", "a.py", Map.of());
                return null;
            });
            Await.until("woken after the listener came back", () -> b.signalCount(Store.Signal.FREED) > again);
        }
    }

    @Test
    void theStoreClockIsTheDatabases() {
        try (Store store = PostgresStore.open(PostgresServer.shared().newAddress(), null)) {
            long before = System.currentTimeMillis();
            long now = store.read(tx -> tx.now());
            long after = System.currentTimeMillis();
            // the same machine here: the database's clock lies between two readings of this one's (a loose bound, not a timing)
            assertThat(now).isBetween(before - 1_000, after + 1_000);
            long first = store.write(tx -> tx.now());
            long second = store.write(tx -> tx.now());
            assertThat(second).as("write times follow commit order").isGreaterThanOrEqualTo(first);
        }
    }

    @Test
    void theAddressPasswordIsNeverShown(@org.junit.jupiter.api.io.TempDir Path file) throws Exception {
        PostgresAddress address = PostgresAddress.parse("postgresql://swarm:s3cret@127.0.0.1:1/nowhere?password=other", null, Map.of());
        assertThat(address.toString()).doesNotContain("s3cret", "other").contains("swarm@127.0.0.1:1/nowhere");
        assertThat(address.password()).isEqualTo("s3cret");
        assertThatThrownBy(() -> PostgresStore.open(address, null)).isInstanceOfSatisfying(SwarmException.class, refused -> {
            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.UNAVAILABLE);
            assertThat(refused.getMessage()).contains("cannot reach the store postgresql://swarm@127.0.0.1:1/nowhere").doesNotContain("s3cret");
        });
        java.nio.file.Files.writeString(file.resolve("pw"), "from-file\n");
        assertThat(PostgresAddress.parse("postgresql://u@h/db", file.resolve("pw"), Map.of("PGPASSWORD", "env")).password()).isEqualTo("from-file");
        assertThat(PostgresAddress.parse("postgres://u@h/db", null, Map.of("PGPASSWORD", "env")).password()).isEqualTo("env");
        assertThatThrownBy(() -> PostgresAddress.parse("postgresql://u:pw@h", null, Map.of())).hasMessageContaining("names no host or no database")
                .hasMessageNotContaining("pw@");
    }
}
