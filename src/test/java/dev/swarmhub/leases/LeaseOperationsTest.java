package dev.swarmhub.leases;

import static dev.swarmhub.testing.TestGate.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease operations as adapters call them: argument rules (each error naming the argument) and what each runs. */
class LeaseOperationsTest {

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private LeaseOperations operations;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        operations = new LeaseOperations(new Leases(store, TestGate.OPEN, new FakeProcesses()), null, new ResourceParser(project));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void anAcquireNamesOneToAThousandResourcesAndIsExclusiveUnlessSaidOtherwise() {
        assertThat(badInput(() -> new LeaseOperations.Acquire(null, null, null, null, null)))
                .isEqualTo("'resources' is missing or empty: name the paths, globs or name:NAME resources");
        assertThat(badInput(() -> new LeaseOperations.Acquire(List.of(), null, null, null, null))).startsWith("'resources' is missing or empty");
        List<String> thousand = IntStream.range(0, 1000).mapToObj(i -> "name:r" + i).toList();
        assertThat(new LeaseOperations.Acquire(thousand, null, null, null, null).resources()).hasSize(1000);
        List<String> more = new ArrayList<>(thousand);
        more.add("name:one-too-many");
        assertThat(badInput(() -> new LeaseOperations.Acquire(more, null, null, null, null)))
                .isEqualTo("'resources' names 1001; at most 1000 per request");

        List<String> mine = new ArrayList<>(List.of("src/a.py"));
        LeaseOperations.Acquire acquire = new LeaseOperations.Acquire(mine, null, null, null, null);
        mine.add("src/b.py");
        assertThat(acquire.resources()).as("a copy").containsExactly("src/a.py");
        assertThat(acquire.mode()).isEqualTo(Mode.EXCLUSIVE);
        assertThat(new LeaseOperations.Acquire(mine, Mode.SHARED, null, null, null).mode()).isEqualTo(Mode.SHARED);
    }

    @Test
    void renewAndReleaseTakeEitherResourcesOrAllButNeverBothOrNeither() {
        assertThat(badInput(() -> new LeaseOperations.Renew(List.of("a"), true, null))).isEqualTo("give 'resources' or 'all', not both");
        assertThat(badInput(() -> new LeaseOperations.Release(List.of("a"), true))).isEqualTo("give 'resources' or 'all', not both");
        assertThat(badInput(() -> new LeaseOperations.Renew(null, null, null)))
                .isEqualTo("'resources' is missing: name the resources, or give 'all': true for every lease held");
        assertThat(badInput(() -> new LeaseOperations.Release(null, false))).startsWith("'resources' is missing");
        assertThat(badInput(() -> new LeaseOperations.Release(List.of(), false))).startsWith("'resources' is missing or empty");
        assertThat(new LeaseOperations.Renew(null, true, null).resources()).as("all").isNull();
        assertThat(new LeaseOperations.Release(List.of("a"), false).resources()).containsExactly("a");
        assertThat(badInput(() -> new LeaseOperations.ReleaseAgent("not an id", null, null))).startsWith("bad agent id 'not an id'");
    }

    @Test
    void eachOperationRunsItsLeaseCall() {
        Caller a = as("agent-a");
        Caller b = as("agent-b");
        List<Lease> acquired = operations.acquire.run(a, new LeaseOperations.Acquire(List.of("./src/a.py", "name:build"), null,
                Duration.ofMinutes(1), "editing", null));
        assertThat(acquired).extracting(lease -> lease.resource().text() + " " + lease.reason()).containsExactly("src/a.py editing", "name:build editing");
        operations.acquire.run(b, new LeaseOperations.Acquire(List.of("docs/x.md"), Mode.SHARED, Duration.ofSeconds(1), null, null));

        LeaseOperations.Holding holding = operations.who.run(b, new LeaseOperations.Who("src/../src/**"));
        assertThat(holding.resource().text()).isEqualTo("src/**");
        assertThat(holding.leases()).extracting(Lease::agent).containsExactly("agent-a");

        clock.advance(Duration.ofSeconds(30));
        assertThat(operations.renew.run(a, new LeaseOperations.Renew(List.of("src/a.py"), null, Duration.ofMinutes(2))))
                .extracting(Lease::expiresAt).containsExactly(clock.millis() + 120_000);
        assertThat(operations.renew.run(a, new LeaseOperations.Renew(null, true, Duration.ofMinutes(3))))
                .extracting(Lease::expiresAt).containsOnly(clock.millis() + 180_000).hasSize(2);

        assertThat(operations.holders.run(a, new LeaseOperations.Holders(null, null))).extracting(Lease::agent).containsOnly("agent-a").hasSize(2);
        assertThat(operations.holders.run(a, new LeaseOperations.Holders("agent-b", true))).extracting(lease -> lease.resource().text())
                .containsExactly("docs/x.md");
        assertThat(operations.holders.run(a, new LeaseOperations.Holders("agent-b", false))).isEmpty();

        assertThat(operations.cleanup.run(Caller.ofOperator(), new LeaseOperations.Cleanup()).expired()).extracting(Lease::agent)
                .containsExactly("agent-b");
        assertThat(operations.release.run(a, new LeaseOperations.Release(List.of("name:build"), null)))
                .extracting(released -> released.lease().resource().text()).containsExactly("name:build");
        operations.acquire.run(a, new LeaseOperations.Acquire(List.of("name:again"), null, null, null, null));
        assertThat(operations.waiters.run(Caller.ofOperator(), new LeaseOperations.Queues())).isEmpty();
        assertThat(operations.releaseAgent.run(Caller.ofOperator(), new LeaseOperations.ReleaseAgent("agent-a", "name:other", "one")))
                .as("a lease it does not hold").isEmpty();
        assertThat(operations.releaseAgent.run(Caller.ofOperator(), new LeaseOperations.ReleaseAgent("agent-a", "src/./a.py", "one")))
                .extracting(lease -> lease.resource().text()).containsExactly("src/a.py");
        operations.acquire.run(a, new LeaseOperations.Acquire(List.of("src/a.py"), null, null, null, null));
        assertThat(operations.releaseAgent.run(Caller.ofOperator(), new LeaseOperations.ReleaseAgent("agent-a", null, "crashed")))
                .extracting(lease -> lease.resource().text()).containsExactlyInAnyOrder("src/a.py", "name:again");
        operations.acquire.run(b, new LeaseOperations.Acquire(List.of("name:last"), null, null, null, null));
        assertThat(operations.release.run(b, new LeaseOperations.Release(null, true))).extracting(released -> released.lease().resource().text())
                .containsExactly("name:last");
        assertThat(operations.holders.run(a, new LeaseOperations.Holders(null, true))).isEmpty();
    }

    @Test
    void modesParseCaseInsensitivelyAndAnUnknownOneNamesTheChoices() {
        assertThat(Mode.names()).containsExactly("exclusive", "shared");
        assertThat(Mode.parse("SHARED")).isEqualTo(Mode.SHARED);
        assertThat(Mode.parse("exclusive")).isEqualTo(Mode.EXCLUSIVE);
        assertThat(badInput(() -> Mode.parse("both"))).isEqualTo("unknown lease mode 'both': use exclusive or shared");
        assertThat(Mode.SHARED.conflictsWith(Mode.SHARED)).isFalse();
        assertThat(Mode.SHARED.conflictsWith(Mode.EXCLUSIVE)).isTrue();
        assertThat(Mode.EXCLUSIVE.conflictsWith(Mode.SHARED)).isTrue();
    }

    private static String badInput(ThrowingCallable call) {
        SwarmException refused = catchThrowableOfType(SwarmException.class, call);
        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.kind()).as(refused.getMessage()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        return refused.getMessage();
    }
}
