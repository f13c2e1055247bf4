package dev.swarmhub.cli;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.testing.JavaProcess;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of processes in the middle of acquire loops leaves a clean store and others' leases intact. */
class ProcessKillTest {

    private static final int LOOPERS = 4;

    @TempDir
    Path project;

    @Test
    void killingLoopingProcessesLeavesTheStoreConsistentAndOthersLeasesUnchanged() throws Exception {
        ResourceParser parser = new ResourceParser(project);
        List<Lease> bystanderBefore;
        try (Store store = TestStores.open(project)) {
            Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
            leases.acquire(new Leases.Request(as("bystander"), List.of(parser.parse("keep/z.py"), parser.parse("name:keep")),
                    Mode.EXCLUSIVE, Duration.ofHours(1), "must survive"));
            leases.acquire(new Leases.Request(as("bystander"), List.of(parser.parse("loop/common.md")), Mode.SHARED,
                    Duration.ofHours(1), "shared with the loopers"));
            bystanderBefore = leases.list("bystander", true);
        }

        long seed = System.nanoTime();
        Random random = new Random(seed);
        for (int wave = 0; wave < 3; wave++) {
            List<JavaProcess> loopers = new ArrayList<>();
            for (int i = 0; i < LOOPERS; i++) {
                loopers.add(JavaProcess.start(AcquireLoopWorker.class, Map.of(), project.resolve("looper.err"),
                        project.toString(), "looper" + i));
            }
            for (JavaProcess looper : loopers) {
                int progressLines = 1 + random.nextInt(20); // kill at a different point of the loop each time
                for (int line = 0; line < progressLines; line++) {
                    looper.receive();
                }
                looper.kill();
            }
        }

        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"));
             ResultSet check = connection.createStatement().executeQuery("PRAGMA integrity_check")) {
            assertThat(check.next()).isTrue();
            assertThat(check.getString(1)).as("integrity after kills (seed %d)", seed).isEqualTo("ok");
        }
        try (Store store = TestStores.open(project)) {
            Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
            assertThat(leases.list("bystander", true)).as("seed %d", seed).isEqualTo(bystanderBefore);
            // the store still grants and releases normally
            List<Lease> fresh = leases.acquire(new Leases.Request(as("after"), List.of(parser.parse("after.py")), Mode.EXCLUSIVE, null, ""));
            assertThat(fresh.get(0).token()).isGreaterThan(bystanderBefore.stream().mapToLong(Lease::token).max().orElseThrow());
            assertThat(leases.release(as("after"), List.of(parser.parse("after.py")))).hasSize(1);
        }

        // A killed process's leases stay until their TTL passes on the store clock; then they are free.
        Instant afterTtl = Instant.now().plus(Duration.ofMinutes(6));
        try (Store store = TestStores.open(project, () -> afterTtl)) {
            Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
            List<Lease> leftByLoopers = leases.list(null, true).stream().filter(l -> l.agent().startsWith("looper")).toList();
            assertThat(leases.list(null, false)).extracting(Lease::agent).containsOnly("bystander");
            leases.acquire(new Leases.Request(as("heir"), List.of(parser.parse("name:loop-mutex")), Mode.EXCLUSIVE, null, ""));
            assertThat(leases.sweep().expired()).containsExactlyInAnyOrderElementsOf(leftByLoopers);
        }
    }
}
