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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on the task domain (issue 13): each test is a break found by trying to misuse the
 * queue, kept so that it stays fixed.
 */
class TaskAttackTest {

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private Tasks tasks;
    private final Caller a = TestGate.as("A");
    private final Caller b = TestGate.as("B");

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        tasks = new Tasks(store, TestGate.OPEN);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private String create(String title) {
        return tasks.create(a, new Tasks.Draft(title, null, null, null, null, null)).task().id();
    }

    /**
     * Break: "link Y --related X" after "link X --related Y" stored a second row, so X showed Y
     * twice as related, and "unlink X --related Y" removed one row only: X and Y stayed related.
     */
    @Test
    void aRelatedLinkGivenBothWaysIsOneLinkAndOneUnlinkRemovesIt() {
        String x = create("x");
        String y = create("y");

        tasks.link(a, x, y, TaskStore.Kind.RELATED);
        tasks.link(b, y, x, TaskStore.Kind.RELATED);

        assertThat(tasks.show(a, x).view().related()).containsExactly(y);
        assertThat(tasks.show(a, y).view().related()).containsExactly(x);
        assertThat(tasks.export(a).links()).hasSize(1);

        tasks.unlink(a, x, y, TaskStore.Kind.RELATED);

        assertThat(tasks.show(a, x).view().related()).as("unlinked").isEmpty();
        assertThat(tasks.show(a, y).view().related()).as("unlinked").isEmpty();
    }

    /** The same break through an import: a file relating x:1 to x:2 and x:2 to x:1 makes one link. */
    @Test
    void anImportedRelatedLinkGivenBothWaysIsOneLink() {
        tasks.importTasks(a, List.of(
                new TaskTransfer.Incoming("x:1", "one", null, null, null, null, null, null, List.of("x:2"), null, null, null, null),
                new TaskTransfer.Incoming("x:2", "two", null, null, null, null, null, null, List.of("x:1"), null, null, null, null)));

        assertThat(tasks.export(a).links()).hasSize(1);
    }

    /**
     * Break: a done task reopened kept progress 100 (and the done note), so the next agent's fresh
     * claim showed "in-progress 100%" before any work was done.
     */
    @Test
    void aReopenedDoneTaskStartsAgainFromNoProgress() {
        String t = create("t");
        tasks.claim(a, t, null, null);
        tasks.report(a, t, Tasks.Outcome.DONE, null, "merged", null);

        tasks.reopen(a, t, "the fix was reverted");
        Tasks.Claimed claimed = tasks.claim(b, t, null, null);

        assertThat(claimed.view().task().progress()).isZero();
    }

    /**
     * Break: an import checked each blocks link for a cycle with a walk of the store, one query a
     * task: a chain written leaf first (the order a file sorted by id descending has) made that
     * quadratic, ~72 s for 2,000 tasks over the CLI and ~30 min for the 10,000 an import allows,
     * all inside one write transaction, while every other agent's call failed with "store locked".
     * The cycles of a file are now found in one walk of its links in memory; this checks the
     * outcome (speed belongs to benchmarks, not to a test's verdict).
     */
    @Test
    void aLongChainWrittenLeafFirstImportsWithEveryLink() {
        int n = 3_000;
        List<TaskTransfer.Incoming> file = new ArrayList<>();
        for (int i = n - 1; i >= 0; i--) {
            file.add(new TaskTransfer.Incoming("x:" + i, "t" + i, null, null, null, null, null, i == 0 ? List.of() : List.of("x:" + (i - 1)),
                    null, null, null, null, null));
        }

        TaskTransfer.Imported imported = tasks.importTasks(a, file);

        assertThat(imported.links()).isEqualTo(n - 1);
        assertThat(tasks.list(a, Task.Status.OPEN, null, false, null, false, 10)).extracting(view -> view.task().title()).containsExactly("t0");
    }

    /** The faster cycle check of an import still refuses a cycle of the file, naming it, and stores nothing. */
    @Test
    void anImportedCycleIsStillRefusedNamingItAndStoresNothing() {
        String here = create("here");
        List<TaskTransfer.Incoming> file = List.of(
                new TaskTransfer.Incoming("x:1", "one", null, null, null, null, null, List.of("x:3", here), null, null, null, null, null),
                new TaskTransfer.Incoming("x:2", "two", null, null, null, null, null, List.of("x:1"), null, null, null, null, null),
                new TaskTransfer.Incoming("x:3", "three", null, null, null, null, null, List.of("x:2"), null, null, null, null, null));

        assertThatThrownBy(() -> tasks.importTasks(a, file)).isInstanceOf(SwarmException.class)
                .hasMessageContaining("that would close the cycle").hasMessageContaining(" -> ");
        assertThat(tasks.export(a).tasks()).extracting(Task::id).containsExactly(here);
        assertThat(tasks.export(a).links()).isEmpty();
    }
}
