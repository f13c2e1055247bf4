package dev.swarmhub.leases;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the commit guard asks: did the agent lose the lease its edit of a file was made under?
 * Lost: it expired (still listed or cleaned up), it was released only after it expired, or
 * another force-released it; not lost: it is live, or its latest one was released in time.
 */
class LostLeaseTest {

    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Resource FILE = Resource.ofCanonical("src/app.py");

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private Leases leases;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        leases = new Leases(store, TestGate.OPEN, new FakeProcesses());
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void aLiveLeaseOrOneReleasedInTimeIsNotLost() {
        assertThat(leases.lostLease("alice", FILE)).as("never leased").isEmpty();
        acquire("alice", "src/**");
        clock.advance(TTL.minusMillis(1));
        assertThat(leases.lostLease("alice", FILE)).as("live, by a glob").isEmpty();
        leases.release(as("alice"), List.of(Resource.ofCanonical("src/**")));
        clock.advance(TTL);
        assertThat(leases.lostLease("alice", FILE)).as("released in time").isEmpty();
    }

    @Test
    void anExpiredLeaseIsLostWhetherListedCleanedUpOrReleasedLate() {
        long token = acquire("alice", "src/app.py").token();
        long expiresAt = clock.millis() + TTL.toMillis();
        clock.advance(TTL);
        assertThat(leases.lostLease("alice", FILE)).contains(new Leases.LostLease(FILE, token, "expired", expiresAt));
        assertThat(leases.lostLease("bob", FILE)).as("another agent's lease").isEmpty();
        assertThat(leases.lostLease("alice", Resource.ofCanonical("src/other.py"))).as("another file").isEmpty();

        leases.sweep();
        assertThat(leases.lostLease("alice", FILE)).as("cleaned up: its event").contains(new Leases.LostLease(FILE, token, "expired", expiresAt));

        long again = acquire("alice", "src/app.py").token();
        assertThat(leases.lostLease("alice", FILE)).as("taken again").isEmpty();
        expiresAt = clock.millis() + TTL.toMillis();
        clock.advance(TTL.plusSeconds(5));
        leases.release(as("alice"), List.of(FILE));
        assertThat(leases.lostLease("alice", FILE)).contains(new Leases.LostLease(FILE, again, "expired before it was released", expiresAt));
    }

    @Test
    void aLeaseForceReleasedIsLostUntilTakenAgainAndALaterReleaseInTimeSettlesIt() {
        long token = acquire("alice", "src/*.py").token();
        clock.advance(Duration.ofSeconds(1));
        long releasedAt = clock.millis();
        leases.releaseAgent(Caller.ofOperator(), "alice", Resource.ofCanonical("src/*.py"), "stuck");
        assertThat(leases.lostLease("alice", FILE)).contains(new Leases.LostLease(Resource.ofCanonical("src/*.py"), token, "was force-released",
                releasedAt));

        clock.advance(Duration.ofSeconds(1));
        acquire("alice", "src/app.py");
        clock.advance(Duration.ofSeconds(1));
        leases.release(as("alice"), List.of(FILE));
        assertThat(leases.lostLease("alice", FILE)).as("its latest lease was released in time").isEmpty();
        assertThat(leases.lostLease("alice", Resource.ofCanonical("src/b.py"))).as("the glob's loss still stands for its other files")
                .map(Leases.LostLease::how).contains("was force-released");
    }

    private Lease acquire(String agent, String resource) {
        return leases.acquire(new Leases.Request(as(agent), List.of(Resource.ofCanonical(resource)), Mode.EXCLUSIVE, TTL, null)).getFirst();
    }
}
