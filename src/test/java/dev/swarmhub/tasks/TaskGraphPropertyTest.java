package dev.swarmhub.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random dependency graphs, changed by random operations (create with blockers, link, claim,
 * done, fail, release, cancel, reopen): after every step the ready and blocked tasks, the counts
 * by status and the stored links equal a reference computed from scratch, and a blocks link that
 * would close a cycle is always refused and never stored. Replay one seed with
 * {@code -Dtasks.property.seed=N}.
 */
class TaskGraphPropertyTest {

    private static final int STEPS = 80;
    private static final List<String> AGENTS = List.of("A", "B", "C");

    @TempDir
    Path project;

    static LongStream seeds() {
        String one = System.getProperty("tasks.property.seed");
        return one != null ? LongStream.of(Long.parseLong(one)) : LongStream.rangeClosed(1, 24);
    }

    /** The reference: each task's stored status and holder, and the blocks edges (from must be done before to). */
    private final Map<String, Task.Status> status = new LinkedHashMap<>();
    private final Map<String, String> holder = new HashMap<>();
    private final Set<List<String>> blocks = new HashSet<>();

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void readyBlockedCountsAndLinksMatchTheReferenceAndCyclesAreRefused(long seed) {
        Random random = new Random(seed);
        MutableClock clock = MutableClock.startingAt2030();
        try (Store store = TestStores.open(project.resolve("seed-" + seed), clock)) {
            Tasks tasks = new Tasks(store, TestGate.OPEN);
            for (int step = 0; step < STEPS; step++) {
                clock.advance(Duration.ofMillis(random.nextInt(3))); // same-millisecond tasks too
                String done = act(tasks, random);
                check(tasks, "seed " + seed + ", step " + step + " (" + done + ")");
            }
        }
    }

    private String act(Tasks tasks, Random random) {
        List<String> ids = new ArrayList<>(status.keySet());
        int choice = ids.size() < 3 ? 0 : random.nextInt(8);
        String some = ids.isEmpty() ? null : ids.get(random.nextInt(ids.size()));
        Caller agent = TestGate.as(AGENTS.get(random.nextInt(AGENTS.size())));
        switch (choice) {
            case 0 -> {
                List<String> after = ids.isEmpty() || random.nextBoolean() ? List.of() : List.of(some);
                String id = tasks.create(agent, new Tasks.Draft("t" + ids.size(), null, random.nextInt(5), null, null, after)).task().id();
                status.put(id, Task.Status.OPEN);
                after.forEach(blocker -> blocks.add(List.of(blocker, id)));
                return "create " + id + " after " + after;
            }
            case 1, 2 -> {
                String other = ids.get(random.nextInt(ids.size()));
                boolean refused = some.equals(other) || reaches(other, some);
                if (refused) {
                    assertThatThrownBy(() -> tasks.link(agent, some, other, TaskStore.Kind.BLOCKS)).isInstanceOf(SwarmException.class)
                            .hasMessageContaining(some.equals(other) ? "itself" : "would close the cycle " + some + " -> " + other);
                } else {
                    tasks.link(agent, some, other, TaskStore.Kind.BLOCKS);
                    blocks.add(List.of(some, other));
                }
                return "link " + some + " blocks " + other + (refused ? " (refused)" : "");
            }
            case 3 -> {
                boolean ready = ready(some);
                if (ready) {
                    tasks.claim(agent, some, null, null);
                    status.put(some, Task.Status.IN_PROGRESS);
                    holder.put(some, agent.agentId());
                } else if (!(status.get(some) == Task.Status.IN_PROGRESS && agent.agentId().equals(holder.get(some)))) {
                    assertThatThrownBy(() -> tasks.claim(agent, some, null, null)).isInstanceOf(SwarmException.class)
                            .extracting(e -> ((SwarmException) e).kind()).isEqualTo(SwarmException.Kind.DENIED);
                }
                return "claim " + some + (ready ? "" : " (refused)");
            }
            case 4 -> {
                List<String> held = ids.stream().filter(id -> status.get(id) == Task.Status.IN_PROGRESS).toList();
                if (held.isEmpty()) {
                    return "nothing held";
                }
                String id = held.get(random.nextInt(held.size()));
                Caller owner = TestGate.as(holder.get(id));
                Tasks.Outcome outcome = List.of(Tasks.Outcome.DONE, Tasks.Outcome.DONE, Tasks.Outcome.FAILED, Tasks.Outcome.RELEASED)
                        .get(random.nextInt(4));
                tasks.report(owner, id, outcome, null, outcome == Tasks.Outcome.FAILED ? "broke" : null, null);
                status.put(id, switch (outcome) {
                    case DONE -> Task.Status.DONE;
                    case FAILED -> Task.Status.FAILED;
                    default -> Task.Status.OPEN;
                });
                return outcome.label() + " " + id;
            }
            case 5 -> {
                Task.Status was = status.get(some);
                if (was == Task.Status.DONE || was == Task.Status.CANCELLED) {
                    assertThatThrownBy(() -> tasks.cancel(Caller.ofOperator(), some, "no")).isInstanceOf(SwarmException.class);
                    return "cancel " + some + " (refused)";
                }
                tasks.cancel(Caller.ofOperator(), some, "not needed");
                status.put(some, Task.Status.CANCELLED);
                return "cancel " + some;
            }
            case 6 -> {
                if (!status.get(some).closed()) {
                    assertThatThrownBy(() -> tasks.reopen(agent, some, null)).isInstanceOf(SwarmException.class);
                    return "reopen " + some + " (refused)";
                }
                tasks.reopen(agent, some, null);
                status.put(some, Task.Status.OPEN);
                return "reopen " + some;
            }
            default -> {
                boolean anyReady = status.keySet().stream().anyMatch(this::ready);
                if (!anyReady) {
                    assertThatThrownBy(() -> tasks.claim(agent, null, null, null)).hasMessageContaining("no task is ready");
                    return "next (none ready)";
                }
                String claimed = tasks.claim(agent, null, null, null).view().task().id();
                assertThat(ready(claimed)).as("next took a ready task").isTrue();
                status.put(claimed, Task.Status.IN_PROGRESS);
                holder.put(claimed, agent.agentId());
                return "next " + claimed;
            }
        }
    }

    private void check(Tasks tasks, String where) {
        Caller reader = TestGate.as("R");
        Set<String> ready = status.keySet().stream().filter(this::ready).collect(Collectors.toCollection(TreeSet::new));
        Set<String> blocked = status.keySet().stream().filter(id -> status.get(id) == Task.Status.OPEN && !ready(id))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(ids(tasks.list(reader, Task.Status.OPEN, null, false, null, true, 1000))).as("ready after " + where).isEqualTo(ready);
        assertThat(ids(tasks.list(reader, Task.Status.BLOCKED, null, false, null, true, 1000))).as("blocked after " + where).isEqualTo(blocked);
        Map<String, Long> expected = new LinkedHashMap<>();
        for (Task.Status each : Task.Status.values()) {
            expected.put(each.label(), 0L);
        }
        status.forEach((id, stored) -> expected.merge(stored == Task.Status.OPEN && !ready(id) ? "blocked" : stored.label(), 1L, Long::sum));
        assertThat(tasks.stats(reader).byStatus()).as("counts after " + where).isEqualTo(expected);
        assertThat(tasks.export(reader).links().stream().map(link -> List.of(link.from(), link.to())).collect(Collectors.toSet()))
                .as("links after " + where).isEqualTo(blocks);
    }

    private static Set<String> ids(List<Tasks.View> views) {
        return views.stream().map(view -> view.task().id()).collect(Collectors.toCollection(TreeSet::new));
    }

    private boolean ready(String id) {
        return status.get(id) == Task.Status.OPEN
                && blocks.stream().filter(edge -> edge.get(1).equals(id)).allMatch(edge -> status.get(edge.get(0)) == Task.Status.DONE);
    }

    /** Whether a path of blocks edges leads from one task to the other. */
    private boolean reaches(String from, String to) {
        Deque<String> frontier = new ArrayDeque<>(List.of(from));
        Set<String> seen = new HashSet<>(frontier);
        while (!frontier.isEmpty()) {
            String at = frontier.poll();
            if (at.equals(to)) {
                return true;
            }
            blocks.stream().filter(edge -> edge.get(0).equals(at)).map(edge -> edge.get(1)).filter(seen::add).forEach(frontier::add);
        }
        return false;
    }
}
