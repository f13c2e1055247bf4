package dev.swarmhub.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Store;
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

/** The task operations as the adapters call them: each argument record checks itself and each operation reaches its task call. */
class TaskOperationsTest {

    @TempDir
    Path project;

    private Store store;
    private TaskOperations operations;
    private final Caller a = TestGate.as("A");

    @BeforeEach
    void openStore() {
        store = TestStores.open(project, MutableClock.startingAt2030());
        operations = new TaskOperations(new Tasks(store, TestGate.OPEN));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private String create(String title, List<String> after) {
        return operations.create.run(a, new TaskOperations.Create(title, "why", 1L, List.of("x"), null, after)).task().id();
    }

    @Test
    void argumentsCheckThemselvesNamingWhatIsWrong() {
        assertThatThrownBy(() -> new TaskOperations.Listing(Task.Status.DONE, true, null, null, null, null, null))
                .hasMessage("ready tasks are open ones: give ready or status done, not both");
        assertThat(new TaskOperations.Listing(Task.Status.OPEN, true, null, null, null, null, null).limit()).isEqualTo(100);
        assertThat(new TaskOperations.Listing(null, true, null, null, null, null, 5).limit()).isEqualTo(5);
        assertThat(new TaskOperations.Listing(Task.Status.DONE, false, null, null, null, null, null).status()).isEqualTo(Task.Status.DONE);
        assertThatThrownBy(() -> new TaskOperations.Link("t", null, null)).hasMessage("give one of blocks or related: the other task of the link");
        assertThatThrownBy(() -> new TaskOperations.Link("t", "u", "v")).hasMessageContaining("give one of blocks or related");
        assertThat(new TaskOperations.Link("t", "u", null).kind()).isEqualTo(TaskStore.Kind.BLOCKS);
        assertThat(new TaskOperations.Link("t", "u", null).other()).isEqualTo("u");
        assertThat(new TaskOperations.Link("t", null, "v").kind()).isEqualTo(TaskStore.Kind.RELATED);
        assertThat(new TaskOperations.Link("t", null, "v").other()).isEqualTo("v");
        assertThatThrownBy(() -> new TaskOperations.Create("t", null, 9L, null, null, null).draft()).hasMessageContaining("priority 9");
        Tasks.Draft draft = new TaskOperations.Create("t", "d", null, null, null, null).draft();
        assertThat(draft.priority()).isEqualTo(2);
        assertThat(new TaskOperations.Create("t", "d", 0L, null, null, null).draft().priority()).isZero();
    }

    @Test
    void eachOperationReachesItsTaskCall() {
        String first = create("first", null);
        Task created = operations.show.run(a, new TaskOperations.One(first)).view().task();
        assertThat(created.priority()).isEqualTo(1);
        assertThat(created.labels()).containsExactly("x");
        assertThat(created.description()).isEqualTo("why");
        String second = create("second", List.of(first));
        assertThat(operations.list.run(a, new TaskOperations.Listing(null, true, null, null, null, null, null))).extracting(view -> view.task().id())
                .containsExactly(first);
        assertThat(operations.list.run(a, new TaskOperations.Listing(Task.Status.BLOCKED, false, false, "x", null, null, 10)))
                .extracting(view -> view.task().id()).containsExactly(second);
        assertThat(operations.list.run(a, new TaskOperations.Listing(null, null, true, null, null, null, null))).isEmpty();
        Tasks.Claimed claimed = operations.claim.run(a, new TaskOperations.Claim(null, "x", Duration.ofMinutes(3)));
        assertThat(claimed.view().task().id()).isEqualTo(first);
        assertThat(operations.list.run(a, new TaskOperations.Listing(null, false, true, null, null, null, null))).hasSize(1);
        assertThat(operations.report.run(a, new TaskOperations.Report(first, Tasks.Outcome.PROGRESS, 20L, "n", claimed.lease().token()))
                .task().progress()).isEqualTo(20);
        assertThat(operations.report.run(a, new TaskOperations.Report(first, Tasks.Outcome.DONE, null, null, null)).status())
                .isEqualTo(Task.Status.DONE);
        assertThat(operations.reopen.run(a, new TaskOperations.Change(first, "again")).status()).isEqualTo(Task.Status.OPEN);
        assertThat(operations.cancel.run(a, new TaskOperations.Change(first, "no")).status()).isEqualTo(Task.Status.CANCELLED);
        assertThat(operations.unlink.run(a, new TaskOperations.Link(first, second, null)).blocks()).isEmpty();
        assertThat(operations.link.run(a, new TaskOperations.Link(first, null, second)).related()).containsExactly(second);
        assertThat(operations.tree.run(a, new TaskOperations.One(first)).view().task().id()).isEqualTo(first);
        assertThat(operations.list.run(a, new TaskOperations.Listing(null, null, null, null, null, null, null))).extracting(view -> view.task().id())
                .as("closed ones hidden").containsExactly(second);
        assertThat(operations.list.run(a, new TaskOperations.Listing(null, null, null, null, null, true, null))).hasSize(2);
        assertThat(operations.stats.run(a, new TaskOperations.None()).byStatus()).containsEntry("cancelled", 1L).containsEntry("open", 1L);
    }
}
