package dev.swarmhub.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TaskTransfer} over a real store: tasks named by the file's refs get ids (or keep ours),
 * parents come first whatever the file's order, links go through the cycle check, a second import
 * adds nothing, and any refusal leaves the queue as it was.
 */
class TaskImportTest {

    private static final String OURS = "01K00000000000000000000001";
    private static final String OURS_CHILD = "01K00000000000000000000002";

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private Tasks tasks;
    private final Caller a = TestGate.as("A");

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

    private static TaskTransfer.Incoming open(String ref, String parent, List<String> blockedBy, List<String> related) {
        return new TaskTransfer.Incoming(ref, "title " + ref, null, null, null, null, parent, blockedBy, related, null, null, null, null);
    }

    private Task byRef(String externalRef) {
        return tasks.export(a).tasks().stream().filter(task -> externalRef.equals(task.externalRef())).findFirst().orElseThrow();
    }

    @Test
    void childrenBeforeTheirParentsInTheFileAreStoredAfterThemWithTheirLinks() {
        List<TaskTransfer.Incoming> file = List.of(
                open("x:grandchild", "x:child", List.of("x:root"), List.of()),
                open("x:child", "x:root", List.of(), List.of("x:other")),
                open("x:root", null, List.of(), List.of()),
                open("x:other", null, List.of(), List.of()));

        TaskTransfer.Imported imported = tasks.importTasks(a, file);

        Task root = byRef("x:root");
        Task child = byRef("x:child");
        Task grandchild = byRef("x:grandchild");
        assertThat(imported.created()).as("parents first").containsExactly(root.id(), child.id(), grandchild.id(), byRef("x:other").id());
        assertThat(imported.alreadyHere()).isEmpty();
        assertThat(imported.links()).isEqualTo(2);
        assertThat(child.parent()).isEqualTo(root.id());
        assertThat(grandchild.parent()).isEqualTo(child.id());
        assertThat(root.creator()).isEqualTo("A");
        assertThat(root.status()).as("no status: open").isEqualTo(Task.Status.OPEN);
        assertThat(root.priority()).as("no priority: 2").isEqualTo(2);
        assertThat(root.createdAt()).as("no time: the import's").isEqualTo(clock.millis());
        assertThat(tasks.export(a).links()).containsExactlyInAnyOrder(
                new TaskStore.Link(root.id(), grandchild.id(), TaskStore.Kind.BLOCKS),
                new TaskStore.Link(child.id(), byRef("x:other").id(), TaskStore.Kind.RELATED));
        Tasks.Detail shown = tasks.show(a, grandchild.id());
        assertThat(shown.view().status()).isEqualTo(Task.Status.BLOCKED);
        assertThat(shown.history()).extracting(Event::kind).containsExactly("task.imported");
        assertThat(shown.history().getFirst().details()).containsEntry("from", "x:grandchild").containsEntry("parent", child.id());
        assertThat(tasks.show(a, root.id()).history()).extracting(Event::kind).containsExactly("task.imported", "task.linked");
    }

    @Test
    void ourIdsAreKeptClosedTasksKeepTheirTimesAndASecondImportAddsNothing() {
        long created = clock.millis() - 86_400_000;
        List<TaskTransfer.Incoming> file = List.of(
                new TaskTransfer.Incoming(OURS, "kept", "why", Task.Status.DONE, 0, List.of("b", "a"), null, null, null, "merged", created,
                        created + 5, "beads:bd-1"),
                new TaskTransfer.Incoming(OURS_CHILD, "child", null, Task.Status.CANCELLED, 4, null, OURS, List.of(OURS), null, null, created,
                        null, null));

        TaskTransfer.Imported first = tasks.importTasks(a, file);

        assertThat(first.created()).containsExactly(OURS, OURS_CHILD);
        Task kept = tasks.show(a, OURS).view().task();
        assertThat(kept).isEqualTo(new Task(OURS, "kept", "why", Task.Status.DONE, 0, null, "A", null, null, 100, "merged", "beads:bd-1",
                created, clock.millis(), created + 5, List.of("a", "b")));
        Task child = tasks.show(a, OURS_CHILD).view().task();
        assertThat(child.closedAt()).as("closed without a time: the import's").isEqualTo(clock.millis());
        assertThat(child.progress()).isZero();
        assertThat(child.parent()).isEqualTo(OURS);

        TaskTransfer.Imported again = tasks.importTasks(a, file);
        assertThat(again).isEqualTo(new TaskTransfer.Imported(List.of(), List.of(OURS, OURS_CHILD), 0));
        TaskTransfer.Imported byExternalRef = tasks.importTasks(a, List.of(new TaskTransfer.Incoming("01K00000000000000000000009", "copy",
                null, null, null, null, null, null, null, null, null, null, "beads:bd-1")));
        assertThat(byExternalRef.alreadyHere()).as("the same external ref under another id").containsExactly(OURS);
        assertThat(tasks.export(a).tasks()).hasSize(2);
    }

    @Test
    void everyRefusalNamesTheTaskAndLeavesTheQueueAsItWas() {
        tasks.importTasks(a, List.of(open("x:here", null, List.of(), List.of())));
        List<String> before = tasks.export(a).tasks().stream().map(Task::id).toList();
        List<List<TaskTransfer.Incoming>> files = List.of(
                List.of(open("x:1", null, List.of(), List.of()), open("x:1", null, List.of(), List.of())),
                List.of(open("x:1", null, List.of("x:2"), List.of()), open("x:2", null, List.of("x:1"), List.of())),
                List.of(open("x:1", "x:2", List.of(), List.of()), open("x:2", "x:1", List.of(), List.of())),
                List.of(open("x:1", null, List.of("x:1"), List.of())),
                List.of(open("x:1", null, List.of(), List.of("x:missing"))),
                List.of(open("x:1", "x:missing", List.of(), List.of())),
                List.of(new TaskTransfer.Incoming("x:1", "t", null, null, 9, null, null, null, null, null, null, null, null)),
                List.of(new TaskTransfer.Incoming("x:1", "t", null, null, null, List.of("bad label"), null, null, null, null, null, null, null)),
                List.of(new TaskTransfer.Incoming("x:1", "t", null, null, null, null, null, null, null, "x".repeat(Tasks.MAX_NOTE + 1), null,
                        null, null)),
                List.of(new TaskTransfer.Incoming(OURS, "t", null, null, null, null, null, null, null, null, null, null, "x:e"),
                        new TaskTransfer.Incoming(OURS_CHILD, "t", null, null, null, null, null, null, null, null, null, null, "x:e")));
        List<String> expected = List.of("task x:1 is in the file twice", "that would close the cycle", "its parents loop",
                "cannot be linked to itself", "task x:1: its related task x:missing is neither in the file nor in the queue",
                "task x:1: its parent x:missing is neither in the file nor in the queue", "task x:1: priority 9 is out of range",
                "task x:1: bad label 'bad label'", "note of task x:1", "is in the file twice");
        for (int i = 0; i < files.size(); i++) {
            List<TaskTransfer.Incoming> file = files.get(i);
            assertThatThrownBy(() -> tasks.importTasks(a, file)).isInstanceOf(SwarmException.class).hasMessageContaining(expected.get(i));
            assertThat(tasks.export(a).tasks()).extracting(Task::id).as(expected.get(i)).isEqualTo(before);
        }
        assertThatThrownBy(() -> new TaskTransfer.Incoming("x:1", "t", null, Task.Status.IN_PROGRESS, null, null, null, null, null, null, null,
                null, null)).hasMessage("task x:1: an imported task is open, done, failed or cancelled, not in-progress");
        assertThatThrownBy(() -> new TaskTransfer.Incoming("x:1", "t", null, Task.Status.BLOCKED, null, null, null, null, null, null, null,
                null, null)).hasMessageContaining("not blocked");
    }

    @Test
    void aFileMayNameTasksAlreadyInTheQueueAndNoMoreThanTheLimit() {
        Tasks.View existing = tasks.create(a, new Tasks.Draft("existing", null, null, null, null, null));
        TaskTransfer.Imported imported = tasks.importTasks(a, List.of(open("x:1", existing.task().id(),
                List.of(existing.task().id(), existing.task().id()), List.of())));
        Task task = byRef("x:1");
        assertThat(task.parent()).isEqualTo(existing.task().id());
        assertThat(imported.links()).as("a link given twice is added once").isEqualTo(1);
        assertThat(tasks.show(a, task.id()).view().waitingFor()).containsExactly(existing.task().id());

        List<TaskTransfer.Incoming> atTheLimit = Collections.nCopies(TaskTransfer.MAX_IMPORTED, open("x:n", null, null, null));
        assertThatThrownBy(() -> tasks.importTasks(a, atTheLimit)).as("as many as the limit: read, then refused for their refs")
                .hasMessage("task x:n is in the file twice");
        List<TaskTransfer.Incoming> tooMany = new ArrayList<>(Collections.nCopies(TaskTransfer.MAX_IMPORTED + 1, open("x:n", null, null, null)));
        assertThatThrownBy(() -> tasks.importTasks(a, tooMany)).hasMessage((TaskTransfer.MAX_IMPORTED + 1) + " tasks to import; at most "
                + TaskTransfer.MAX_IMPORTED + " at once");
    }
}
