package dev.swarmhub.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's lock among threads (other processes: FencedFilesTest): one holder, reentrant for
 * it, released by whichever thread closes its last hold (a store settles on the batch's thread),
 * a waiter given the lock once it is released, and a private lock file.
 */
class HostLockTest {

    @TempDir
    Path project;

    @Test
    void oneThreadHoldsItAgainAndAnotherGetsItOnlyWhenTheLastHoldIsClosedByAnyThread() throws Exception {
        Path lockFile = project.resolve(".swarm/locks/a.lock");
        try (ExecutorService threads = Executors.newCachedThreadPool()) {
            HostLock.Held first = HostLock.hold(lockFile, Duration.ZERO).orElseThrow();
            HostLock.Held again = HostLock.hold(lockFile, Duration.ZERO).orElseThrow(); // the same thread: reentrant
            assertThat(threads.submit(() -> HostLock.hold(lockFile, Duration.ZERO)).get()).as("another thread, while held").isEmpty();

            CompletableFuture<Optional<HostLock.Held>> waiter = CompletableFuture.supplyAsync(() -> HostLock.hold(lockFile, Duration.ofMinutes(5)), threads);
            again.close();
            assertThat(threads.submit(() -> HostLock.hold(lockFile, Duration.ZERO)).get()).as("one hold left").isEmpty();
            threads.submit(first::close).get(); // closed on another thread, as a batch's settling does
            HostLock.Held taken = waiter.get().orElseThrow();
            assertThat(HostLock.hold(lockFile, Duration.ZERO)).as("now the waiter's").isEmpty();
            threads.submit(taken::close).get();
            HostLock.hold(lockFile, Duration.ZERO).orElseThrow().close();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lockFile))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lockFile.getParent()))).isEqualTo("rwx------");
    }
}
