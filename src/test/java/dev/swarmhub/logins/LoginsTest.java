package dev.swarmhub.logins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's logins: a link opens one session once, only until it expires by the store's
 * clock; sessions end by logout or by expiry; only hashes are stored; only the operator gets a link.
 */
class LoginsTest {

    @TempDir
    Path project;

    private final MutableClock clock = MutableClock.startingAt2030();
    private Store store;
    private Logins logins;

    @BeforeEach
    void openStore() {
        store = TestStores.open(project, clock);
        logins = new Logins(store, "host:/project");
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private List<String> kinds() {
        return new EventLog(store).latest(null, null, 100).stream().map(Event::kind).toList();
    }

    @Test
    void aLinkOpensOneSessionOnceAndNothingSecretIsStoredOrLogged() {
        Logins.Secret link = logins.newLink(Caller.ofOperator());
        assertThat(link.expiresAt()).isEqualTo(clock.millis() + Duration.ofMinutes(2).toMillis());
        assertThat(link.toString()).doesNotContain(link.value()).contains("expiresAt=" + link.expiresAt());

        Logins.Secret session = logins.exchange(link.value()).orElseThrow();
        assertThat(session.value()).isNotEqualTo(link.value());
        assertThat(session.expiresAt()).isEqualTo(clock.millis() + Duration.ofHours(12).toMillis());
        assertThat(logins.isSession(session.value())).isTrue();
        assertThat(logins.isSession(link.value())).as("a link is no session").isFalse();
        assertThat(logins.exchange(link.value())).as("a link works once").isEmpty();
        assertThat(logins.exchange(session.value())).as("a session is no link").isEmpty();
        assertThat(kinds()).containsExactly("dashboard.link", "dashboard.login");

        String everything = store.read(tx -> tx.events(0, null, null, 100).toString());
        assertThat(everything).doesNotContain(link.value()).doesNotContain(session.value());
        assertThat(stored(Tokens.hash(session.value()), LoginStore.Kind.SESSION)).isTrue();
        assertThat(stored(session.value(), LoginStore.Kind.SESSION)).as("the hash, not the token").isFalse();
        assertThat(stored(Tokens.hash(link.value()), LoginStore.Kind.LINK)).as("a used link is gone").isFalse();
    }

    private boolean stored(String hash, LoginStore.Kind kind) {
        return store.read(tx -> LoginStore.in(tx).holds(hash, kind, tx.now(), "host:/project"));
    }

    @Test
    void linksAndSessionsExpireByTheStoresClock() {
        Logins.Secret late = logins.newLink(Caller.ofOperator());
        clock.advance(Duration.ofMinutes(2));
        assertThat(logins.exchange(late.value())).as("expired at its expiry").isEmpty();

        Logins.Secret link = logins.newLink(Caller.ofOperator());
        clock.advance(Duration.ofMinutes(2).minusMillis(1));
        String session = logins.exchange(link.value()).orElseThrow().value();
        clock.advance(Duration.ofHours(12).minusMillis(1));
        assertThat(logins.isSession(session)).isTrue();
        clock.advance(Duration.ofMillis(1));
        assertThat(logins.isSession(session)).isFalse();
    }

    @Test
    void theSweepRemovesOnlyExpiredRows() {
        Logins.Secret kept = logins.newLink(Caller.ofOperator());
        clock.advance(Duration.ofMinutes(1));
        Logins.Secret gone = logins.newLink(Caller.ofOperator());
        String session = logins.exchange(gone.value()).orElseThrow().value();
        Logins.Secret expiring = logins.newLink(Caller.ofOperator());
        clock.advance(Duration.ofMinutes(1));
        assertThat(expiredRows(LoginStore.Kind.LINK)).as("the first link").isEqualTo(1);
        assertThat(expiredRows(LoginStore.Kind.SESSION)).isZero();
        logins.housekeeping.work().run();
        assertThat(expiredRows(LoginStore.Kind.LINK)).isZero();
        assertThat(kinds()).as("no session expired: no logout").doesNotContain("dashboard.logout");
        assertThat(logins.exchange(expiring.value())).isPresent();
        assertThat(logins.isSession(session)).isTrue();
        assertThat(logins.exchange(kept.value())).isEmpty();

        clock.advance(Duration.ofHours(12));
        assertThat(expiredRows(LoginStore.Kind.SESSION)).as("both sessions").isEqualTo(2);
        logins.housekeeping.work().run();
        assertThat(expiredRows(LoginStore.Kind.SESSION)).isZero();
        assertThat(new EventLog(store).latest(null, "dashboard.logout", 5)).as("an expiry ends sessions as a logout does: their streams close")
                .singleElement().satisfies(event -> assertThat(event.details()).containsEntry("sessions", 2).containsEntry("reason", "expired"));
        int logged = kinds().size();
        logins.housekeeping.work().run();
        assertThat(kinds()).as("nothing expired: nothing written").hasSize(logged);
    }

    /** How many rows of the kind have expired by now, counted by deleting them in a transaction that is then rolled back. */
    private int expiredRows(LoginStore.Kind kind) {
        boolean any = store.read(tx -> LoginStore.in(tx).anyExpired(tx.now()));
        try {
            store.write(tx -> {
                throw new Counted(LoginStore.in(tx).deleteExpired(kind, tx.now()));
            });
        } catch (Counted counted) {
            if (counted.rows > 0) {
                assertThat(any).as("anyExpired").isTrue();
            }
            return counted.rows;
        }
        throw new AssertionError("unreachable");
    }

    private static final class Counted extends RuntimeException {
        final int rows;

        Counted(int rows) {
            super(null, null, false, false);
            this.rows = rows;
        }
    }

    @Test
    void logoutEndsTheSessionOnceAndIgnoresWhatIsNoSession() {
        String session = logins.exchange(logins.newLink(Caller.ofOperator()).value()).orElseThrow().value();
        logins.end(session);
        assertThat(logins.isSession(session)).isFalse();
        logins.end(session);
        logins.end(null);
        logins.end("");
        logins.end("not-a-session");
        assertThat(kinds()).containsExactly("dashboard.link", "dashboard.login", "dashboard.logout");
        assertThat(logins.isSession(null)).isFalse();
        assertThat(logins.isSession("")).isFalse();
        assertThat(logins.exchange(null)).isEmpty();
        assertThat(logins.exchange("")).isEmpty();
    }

    @Test
    void aHubStartingEndsEverySessionAndVoidsEveryLink() {
        String first = logins.exchange(logins.newLink(Caller.ofOperator()).value()).orElseThrow().value();
        String second = logins.exchange(logins.newLink(Caller.ofOperator()).value()).orElseThrow().value();
        Logins.Secret link = logins.newLink(Caller.ofOperator());
        assertThatThrownBy(() -> logins.endAllSessions(TestGate.as("alice"), "an agent tries")).isInstanceOfSatisfying(SwarmException.class,
                refused -> assertThat(refused.kind()).isEqualTo(SwarmException.Kind.DENIED));
        assertThat(logins.isSession(first)).isTrue();
        assertThat(logins.endAllSessions(Caller.ofOperator(), "a hub started")).isEqualTo(2);
        assertThat(logins.isSession(first)).isFalse();
        assertThat(logins.isSession(second)).isFalse();
        assertThat(logins.exchange(link.value())).as("a link not used yet is void too").isEmpty();
        assertThat(new EventLog(store).latest(null, "dashboard.logout", 5)).singleElement()
                .satisfies(event -> assertThat(event.details()).containsEntry("sessions", 2).containsEntry("reason", "a hub started"));
        logins.exchange(logins.newLink(Caller.ofOperator()).value()).orElseThrow();
        assertThat(logins.endAllSessions(Caller.ofOperator(), "logged out everywhere")).isEqualTo(1);
        assertThat(logins.endAllSessions(Caller.ofOperator(), "logged out everywhere")).isZero();
        assertThat(new EventLog(store).latest(null, "dashboard.logout", 5)).as("a new session ended, then none to end: nothing logged")
                .extracting(event -> event.details().get("sessions")).containsExactly(2, 1);
    }

    @Test
    void hubsSharingAStoreNeitherAcceptNorEndEachOthersLogins() {
        Logins otherHub = new Logins(store, "other-host:/project");
        String mine = logins.exchange(logins.newLink(Caller.ofOperator()).value()).orElseThrow().value();
        Logins.Secret othersLink = otherHub.newLink(Caller.ofOperator());
        assertThat(logins.exchange(othersLink.value())).as("another hub's link").isEmpty();
        String theirs = otherHub.exchange(othersLink.value()).orElseThrow().value();
        assertThat(otherHub.isSession(mine)).isFalse();
        assertThat(logins.isSession(theirs)).isFalse();
        otherHub.end(mine);
        assertThat(logins.isSession(mine)).as("another hub's logout").isTrue();
        assertThat(otherHub.endAllSessions(Caller.ofOperator(), "a hub started")).isEqualTo(1);
        assertThat(logins.isSession(mine)).as("another hub's start").isTrue();
        assertThat(otherHub.isSession(theirs)).isFalse();
    }

    @Test
    void aLoginTimeTooShortToUseIsRefused() {
        dev.swarmhub.kernel.Settings settings = new dev.swarmhub.kernel.Settings(store, TestGate.OPEN, Logins.SETTINGS);
        assertThatThrownBy(() -> settings.set(Caller.ofOperator(), "dashboard.session-ttl", "0s")).hasMessageContaining("at least 60s");
        assertThatThrownBy(() -> settings.set(Caller.ofOperator(), "dashboard.link-ttl", "9s")).hasMessageContaining("at least 10s");
        settings.set(Caller.ofOperator(), "dashboard.link-ttl", "10s");
        settings.set(Caller.ofOperator(), "dashboard.session-ttl", "1m");
        assertThat(logins.newLink(Caller.ofOperator()).expiresAt()).isEqualTo(clock.millis() + 10_000);
    }

    @Test
    void onlyTheOperatorGetsALink() {
        assertThatThrownBy(() -> logins.newLink(TestGate.as("alice"))).isInstanceOfSatisfying(SwarmException.class,
                refused -> assertThat(refused.kind()).isEqualTo(SwarmException.Kind.DENIED)).hasMessageContaining("operator");
        assertThat(kinds()).isEmpty();
    }

    @Test
    void aLinkUsedByManyAtOnceOpensOneSession() throws InterruptedException {
        for (int round = 0; round < 20; round++) {
            String code = logins.newLink(Caller.ofOperator()).value();
            CountDownLatch start = new CountDownLatch(1);
            ConcurrentLinkedQueue<Optional<Logins.Secret>> outcomes = new ConcurrentLinkedQueue<>();
            List<Thread> threads = IntStream.range(0, 8).mapToObj(i -> Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                outcomes.add(logins.exchange(code));
            })).toList();
            start.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(outcomes).hasSize(8).filteredOn(Optional::isPresent).as("round " + round).hasSize(1);
        }
    }
}
