package dev.swarmhub.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A password is never shown, whatever its characters: written percent-encoded it is read back
 * whole; written raw where a URL reserves the character, the address is refused and the message
 * shows none of the password. Each password's pieces are distinctive, so a piece that leaked shows.
 */
class PostgresAddressTest {

    @ParameterizedTest
    @ValueSource(strings = {"Pq7w@Zx9k/Wm3j:Rt5v", "Pq7w?Zx9k#Wm3j", "Pq7w+Zx9k Wm3j%Rt5v", "Pq7w@Zx9k@Wm3j", "Pq7w:Zx9k"})
    void aPasswordIsReadWholeWhenEncodedAndNeverShown(String password) {
        String encoded = URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
        PostgresAddress address = PostgresAddress.parse("postgresql://swarm:" + encoded + "@db.example:5432/swarm?sslmode=disable", null, Map.of());
        assertThat(address.password()).isEqualTo(password);
        assertThat(address.toString()).isEqualTo("postgresql://swarm@db.example:5432/swarm?sslmode=disable");
        assertThat(PostgresAddress.redact("postgresql://swarm:" + encoded + "@db.example:5432/swarm")).isEqualTo("postgresql://swarm:***@db.example:5432/swarm");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Pq7w@Zx9k/Wm3j:Rt5v", "Pq7w/Zx9k", "5432/Zx9k", "Pq7w?Zx9k@Wm3j", "Pq7w#Zx9k", "Pq7w@Zx9k@Wm3j"})
    void aRawPasswordTheAddressCannotHoldIsRefusedUnshown(String password) {
        String text = "postgresql://swarm:" + password + "@db.example:6543/swarm";
        assertThatThrownBy(() -> PostgresAddress.parse(text, null, Map.of())).hasMessageContaining("postgresql://swarm:***@db.example:6543/swarm")
                .hasMessageContaining("%40").satisfies(refused -> {
                    for (String piece : password.split("[@/:?#]")) {
                        assertThat(refused.getMessage()).doesNotContain(piece);
                    }
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"Pq7w&Zx9k", "Pq7w@Zx9k/Wm3j"})
    void aPasswordOptionIsHiddenToTheEnd(String password) {
        assertThat(PostgresAddress.redact("postgresql://db.example/swarm?sslmode=disable&password=" + password))
                .isEqualTo("postgresql://db.example/swarm?sslmode=disable&password=***");
    }

    @org.junit.jupiter.api.Test
    void withoutItsPasswordsAnAddressKeepsTheRest() {
        assertThat(PostgresAddress.withoutPassword("postgresql://swarm:Pq7w%40Zx9k@db.example:5432/swarm?sslmode=require&password=Wm3j"))
                .isEqualTo("postgresql://swarm@db.example:5432/swarm?sslmode=require");
        assertThat(PostgresAddress.withoutPassword("postgresql://db.example/swarm?sslpassword=Wm3j&sslmode=require")).isEqualTo("postgresql://db.example/swarm");
        assertThat(PostgresAddress.withoutPassword("sqlite")).isEqualTo("sqlite");
    }

    @ParameterizedTest
    @ValueSource(strings = {"?splitStatements=false", "?sslmode=disable&splitStatements=off", "?splitStatements="})
    void anAddressTurningOffSplitStatementsIsRefused(String options) {
        // the store sends a transaction's opening and its clock as two statements in one round trip
        assertThatThrownBy(() -> PostgresAddress.parse("postgresql://swarm@db.example/swarm" + options, null, Map.of()))
                .hasMessageContaining("splitStatements");
        assertThat(PostgresAddress.parse("postgresql://swarm@db.example/swarm?splitStatements=true&sslmode=disable", null, Map.of()).jdbcUrl())
                .endsWith("?splitStatements=true&sslmode=disable");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "65536", "99999"})
    void aPortOutOfRangeIsRefusedAsSuch(String port) {
        assertThatThrownBy(() -> PostgresAddress.parse("postgresql://swarm:s3cret@127.0.0.1:" + port + "/swarm", null, Map.of()))
                .isInstanceOfSatisfying(dev.swarmhub.kernel.SwarmException.class, refused -> assertThat(refused.kind())
                        .isEqualTo(dev.swarmhub.kernel.SwarmException.Kind.BAD_INPUT))
                .hasMessage("the PostgreSQL address's port " + port + " is not a port number (1 to 65535): postgresql://swarm:***@127.0.0.1:"
                        + port + "/swarm");
        assertThat(PostgresAddress.parse("postgresql://swarm@127.0.0.1:65535/swarm", null, Map.of()).jdbcUrl()).contains(":65535/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Pq7w+Zx9k", "Pq7w:Zx9k", "Pq7w Zx9k"})
    void aPasswordWithCharactersAUserInfoMayHoldRawIsReadAsWritten(String password) {
        PostgresAddress address = PostgresAddress.parse("postgresql://swarm:" + password.replace(" ", "%20") + "@db.example/swarm", null, Map.of());
        assertThat(address.password()).isEqualTo(password);
        assertThat(address.toString()).doesNotContain("Pq7w", "Zx9k");
    }
}
