package dev.swarmhub.bench;

import static dev.swarmhub.testing.TestGate.as;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One acquire + release of a file lease on the embedded store, with 0 or 10,000 leases of other
 * agents held (files in many directories, plus globs over some of them). The overlap check reads
 * only the candidates sharing an anchor, so the cost should barely grow with the held leases.
 * Run: scripts/bench LeaseCycle
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LeaseCycleBenchmark {

    @Param({"0", "10000"})
    int otherLeases;

    private Path project;
    private Store store;
    private Leases leases;
    private Leases.Request request;
    private List<Resource> resources;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        project = Files.createTempDirectory("swarm-bench");
        store = TestStores.open(project);
        leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
        ResourceParser parser = new ResourceParser(project);
        for (int i = 0; i < otherLeases; i++) {
            String resource = i % 100 == 99 ? "other/d" + (i % 1000) + "/*.md" : "other/d" + (i % 1000) + "/f" + i + ".py";
            leases.acquire(new Leases.Request(as("agent-" + (i % 50)), List.of(parser.parse(resource)), Mode.EXCLUSIVE,
                    Duration.ofHours(1), "held"));
        }
        resources = new ArrayList<>(List.of(parser.parse("src/bench/x.py")));
        request = new Leases.Request(as("bencher"), resources, Mode.EXCLUSIVE, Duration.ofMinutes(5), "bench");
    }

    @Benchmark
    public int acquireAndRelease() {
        int granted = leases.acquire(request).size();
        return granted + leases.release(as("bencher"), resources).size();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        try (var paths = Files.walk(project)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
