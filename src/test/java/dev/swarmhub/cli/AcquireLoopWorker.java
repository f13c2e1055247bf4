package dev.swarmhub.cli;

import static dev.swarmhub.testing.TestGate.as;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.leases.LeaseConflictException;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Test helper process: acquires and releases leases in a loop until killed, printing the
 * iteration count every few rounds so a test can kill it at an arbitrary point.
 * Arguments: project root, agent id.
 */
public final class AcquireLoopWorker {

    public static void main(String[] args) {
        Path root = Path.of(args[0]);
        String agent = args[1];
        ResourceParser parser = new ResourceParser(root);
        try (Store store = TestStores.open(root)) {
            Leases leases = new Leases(store, TestGate.OPEN, new LocalProcesses());
            for (long i = 0; ; i++) {
                var own = parser.parse("loop/" + agent + "/" + (i % 7) + ".py");
                var common = parser.parse("loop/common.md");
                try {
                    leases.acquire(new Leases.Request(as(agent), List.of(own, common), Mode.SHARED, Duration.ofMinutes(5), "loop " + i));
                    leases.acquire(new Leases.Request(as(agent), List.of(parser.parse("name:loop-mutex")), Mode.EXCLUSIVE,
                            Duration.ofMinutes(5), "loop " + i));
                    leases.release(as(agent), List.of(parser.parse("name:loop-mutex"), own));
                } catch (LeaseConflictException contended) {
                    // another looper holds the mutex: try again
                }
                if (i % 5 == 0) {
                    System.out.println(i);
                }
            }
        }
    }
}
