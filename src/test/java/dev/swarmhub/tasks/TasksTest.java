package dev.swarmhub.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task queue in process over a real store, with the real registry as its gate: validation
 * naming the field, ready and blocked, claims (by id, next by priority then age, by label) and
 * their refusals, reports by the holder only with fencing, cancel and reopen, links and cycles,
 * trees and counts, and claims lapsing (expired by the store clock, holder dead, lease released)
 * with why in the history. Nothing sleeps: the clock moves when a test moves it.
 */
class TasksTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);

    @TempDir
    Path project;

    private MutableClock clock;
    private Store store;
    private final FakeProcesses processes = new FakeProcesses();
    private Agents agents;
    private Leases leases;
    private Tasks tasks;
    private Caller a;
    private Caller b;
    private final Caller operator = Caller.ofOperator();
    /** Reads for the tests: the operator's calls extend no claim, and the operator never goes. */
    private final Caller reader = operator;

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        agents = new Agents(store, processes);
        leases = new Leases(store, agents, processes);
        tasks = new Tasks(store, agents);
        a = register("A", null);
        b = register("B", null);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private Caller register(String id, Long pid) {
        return Caller.ofAgent(id, agents.register(new Agents.Registration(id, "other", null, pid, null)).token());
    }

    private String createWith(String title, Integer priority, List<String> labels, String parent, String... after) {
        return tasks.create(a, new Tasks.Draft(title, null, priority, labels, parent, List.of(after))).task().id();
    }

    private String create(String title, String... after) {
        return createWith(title, null, null, null, after);
    }

    private Tasks.View view(String id) {
        return tasks.show(reader, id).view();
    }

    private List<Event> history(String id) {
        return tasks.show(reader, id).history();
    }

    private List<String> ready() {
        return tasks.list(reader, Task.Status.OPEN, null, false, null, true, 100).stream().map(view -> view.task().id()).toList();
    }

    private static void denied(ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(SwarmException.class).hasMessageContaining(message)
                .extracting(e -> ((SwarmException) e).kind()).isEqualTo(SwarmException.Kind.DENIED);
    }

    private static void badInput(ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(SwarmException.class).hasMessageContaining(message)
                .extracting(e -> ((SwarmException) e).kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
    }

    // ------------------------------------------------------------------------------- creating

    @Test
    void aDraftIsCheckedFieldByFieldAndStoredTidy() {
        badInput(() -> new Tasks.Draft("  ", null, null, null, null, null), "no title given");
        badInput(() -> new Tasks.Draft(null, null, null, null, null, null), "no title given");
        badInput(() -> new Tasks.Draft("x".repeat(Tasks.MAX_TITLE + 1), null, null, null, null, null), "title");
        badInput(() -> new Tasks.Draft("t", null, 5, null, null, null), "priority 5 is out of range: use 0 (first) to 4 (last)");
        badInput(() -> new Tasks.Draft("t", null, -1, null, null, null), "priority -1 is out of range");
        badInput(() -> new Tasks.Draft("t", null, null, List.of("ok", "not ok"), null, null), "bad label 'not ok'");
        badInput(() -> new Tasks.Draft("t", null, null, List.of("-dash"), null, null), "bad label '-dash'");
        badInput(() -> new Tasks.Draft("t", null, null, List.of("x".repeat(65)), null, null), "bad label");
        badInput(() -> new Tasks.Draft("t", null, null, java.util.stream.IntStream.range(0, Tasks.MAX_LABELS + 1).mapToObj(i -> "l" + i).toList(),
                null, null), (Tasks.MAX_LABELS + 1) + " labels; at most " + Tasks.MAX_LABELS);
        badInput(() -> new Tasks.Draft("t", "bell\u0007", null, null, null, null), "description contains");
        badInput(() -> new Tasks.Draft("t", "x".repeat(Tasks.MAX_DESCRIPTION + 1), null, null, null, null),
                "description is " + (Tasks.MAX_DESCRIPTION + 1) + " characters; at most " + Tasks.MAX_DESCRIPTION);

        Tasks.Draft tidy = new Tasks.Draft("  title  ", "  line one\n\tline two  ", null, List.of("b", " a ", "b"), null, null);
        assertThat(tidy.title()).isEqualTo("title");
        assertThat(tidy.description()).isEqualTo("line one\n\tline two");
        assertThat(tidy.priority()).isEqualTo(2);
        assertThat(tidy.labels()).containsExactly("a", "b");
        assertThat(new Tasks.Draft("t", null, null, List.of("x".repeat(64)), null, null).labels()).hasSize(1);
        assertThat(new Tasks.Draft("t", null, null, java.util.stream.IntStream.range(0, Tasks.MAX_LABELS).mapToObj(i -> "l" + i).toList(), null,
                null).labels()).hasSize(Tasks.MAX_LABELS);
        assertThat(new Tasks.Draft("t", "x".repeat(Tasks.MAX_DESCRIPTION), null, null, null, null).description()).hasSize(Tasks.MAX_DESCRIPTION);

        Tasks.View created = tasks.create(a, tidy);
        Task task = created.task();
        assertThat(task).isEqualTo(new Task(task.id(), "title", "line one\n\tline two", Task.Status.OPEN, 2, null, "A", null, null, 0, "", null,
                clock.millis(), clock.millis(), null, List.of("a", "b")));
        assertThat(created.status()).isEqualTo(Task.Status.OPEN);
        assertThat(history(task.id())).singleElement().satisfies(event -> {
            assertThat(event.kind()).isEqualTo("task.created");
            assertThat(event.agent()).isEqualTo("A");
            assertThat(event.resource()).isEqualTo("task:" + task.id());
            assertThat(event.details()).containsEntry("status", "open").containsEntry("title", "title").containsEntry("labels", List.of("a", "b"));
        });
    }

    @Test
    void tasksAreNamedByAUniquePrefixOfSixOrMoreCharacters() {
        String id = create("one");
        assertThat(view(id.substring(0, 6).toLowerCase()).task().id()).isEqualTo(id);
        badInput(() -> view(id.substring(0, 5)), "too short: give at least 6 characters");
        badInput(() -> view("ZZZZZZZZ"), "no task ZZZZZZZZ");
        String twin = create("two"); // same store millisecond: the same ten time characters
        badInput(() -> view(id.substring(0, 10)), "is ambiguous: it starts");
        badInput(() -> createWith("child", null, null, "ZZZZZZZZ"), "no task ZZZZZZZZ");
        badInput(() -> create("after", "ZZZZZZZZ"), "no task ZZZZZZZZ");
        assertThat(ready()).containsExactlyInAnyOrder(id, twin);
    }

    // -------------------------------------------------------------------------------- claiming

    @Test
    void nextTakesTheBestPriorityThenTheOldestAndALabelNarrowsIt() {
        String low = createWith("low", 3, null, null);
        clock.advance(Duration.ofMillis(1));
        String urgent = createWith("urgent", 1, null, null);
        clock.advance(Duration.ofMillis(1));
        String urgentLater = createWith("urgent later", 1, List.of("db"), null);

        Tasks.Claimed first = tasks.claim(b, null, null, MINUTE);
        assertThat(first.view().task().id()).isEqualTo(urgent);
        assertThat(first.view().status()).isEqualTo(Task.Status.IN_PROGRESS);
        assertThat(first.view().task().assignee()).isEqualTo("B");
        assertThat(first.view().task().claimToken()).isEqualTo(first.lease().token());
        assertThat(first.lease().resource()).isEqualTo(Resource.ofTask(urgent));
        assertThat(first.lease().expiresAt()).isEqualTo(clock.millis() + MINUTE.toMillis());
        assertThat(first.view().activeAgents()).isEqualTo(1);
        assertThat(tasks.claim(a, null, "db", MINUTE).view().task().id()).isEqualTo(urgentLater);
        denied(() -> tasks.claim(a, null, "db", MINUTE), "no task is ready with label db; of all labels: 2 in-progress, 1 open");
        assertThat(tasks.claim(a, null, null, MINUTE).view().task().id()).isEqualTo(low);
        denied(() -> tasks.claim(a, null, null, MINUTE), "no task is ready: 3 in-progress");
        badInput(() -> tasks.claim(a, low, "db", MINUTE), "give a task or a label");
        tasks.report(a, low, Tasks.Outcome.DONE, null, null, null);
        tasks.report(a, urgentLater, Tasks.Outcome.DONE, null, null, null);
        tasks.report(b, urgent, Tasks.Outcome.DONE, null, null, null);
        denied(() -> tasks.claim(a, null, null, MINUTE), "no task is ready: no task is open or in progress");
    }

    @Test
    void aTaskIsClaimedOnlyWhenReadyAndOnlyOnceAndItsHolderRenewsIt() {
        String blocker = create("blocker");
        String waiting = create("waiting", blocker);
        denied(() -> tasks.claim(a, waiting, null, MINUTE), "task " + waiting + " is not ready: it waits for " + blocker + " (open)");

        Tasks.Claimed claimed = tasks.claim(a, blocker, null, MINUTE);
        denied(() -> tasks.claim(b, blocker, null, MINUTE), "it is claimed by A since " + Instant.ofEpochMilli(clock.millis()));
        clock.advance(Duration.ofSeconds(10));
        Tasks.Claimed renewed = tasks.claim(a, blocker, null, Duration.ofMinutes(5));
        assertThat(renewed.lease().token()).as("the same claim").isEqualTo(claimed.lease().token());
        assertThat(renewed.lease().expiresAt()).isEqualTo(clock.millis() + Duration.ofMinutes(5).toMillis());
        denied(() -> tasks.claim(a, waiting, null, MINUTE), "it waits for " + blocker + " (in-progress)");

        tasks.report(a, blocker, Tasks.Outcome.FAILED, null, "cannot", null);
        denied(() -> tasks.claim(a, waiting, null, MINUTE), "it waits for " + blocker + " (failed)");
        denied(() -> tasks.claim(a, blocker, null, MINUTE), "it is failed; reopen it first");
        assertThat(ready()).isEmpty();
        tasks.reopen(b, blocker, "try again");
        assertThat(ready()).containsExactly(blocker);
        tasks.claim(b, blocker, null, MINUTE);
        tasks.report(b, blocker, Tasks.Outcome.DONE, null, "fixed", null);
        assertThat(ready()).containsExactly(waiting);
        assertThat(view(waiting).waitingFor()).isEmpty();
        assertThat(view(waiting).blockedBy()).containsExactly(blocker);
        assertThat(view(blocker).blocks()).containsExactly(waiting);
        leases.acquire(new Leases.Request(a, List.of(Resource.ofCanonical("src/x.py")), dev.swarmhub.leases.Mode.EXCLUSIVE, MINUTE, "edit"));
        assertThatThrownBy(() -> leases.acquire(new Leases.Request(a, List.of(Resource.ofTask(waiting)), dev.swarmhub.leases.Mode.EXCLUSIVE,
                MINUTE, "sneak"))).as("a claim is taken through the queue only").isInstanceOf(SwarmException.class);
    }

    // ------------------------------------------------------------------------------- reporting

    @Test
    void theOperatorGivesAReadyOrClaimedTaskToAnActiveAgentWithANewClaim() {
        String id = create("port the lexer");
        String later = create("after it", id);
        assertThatThrownBy(() -> tasks.assign(a, id, "B", null)).isInstanceOf(SwarmException.class).hasMessageContaining("only the operator may assign")
                .extracting(e -> ((SwarmException) e).kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        denied(() -> tasks.assign(operator, later, "B", null), "cannot assign task " + later + ": it waits for " + id + " (open)");
        denied(() -> tasks.assign(operator, id, "Z", null), "to Z: no active agent of that id");
        badInput(() -> tasks.assign(operator, id, "a b", null), "a b");

        Tasks.Claimed toA = tasks.assign(operator, id, "A", "A knows the lexer");
        assertThat(toA.view().status()).isEqualTo(Task.Status.IN_PROGRESS);
        assertThat(toA.view().task().assignee()).isEqualTo("A");
        assertThat(toA.view().task().claimToken()).isEqualTo(toA.lease().token());
        assertThat(toA.lease().agent()).isEqualTo("A");
        assertThat(tasks.report(a, id, Tasks.Outcome.PROGRESS, 20L, null, toA.lease().token()).task().progress()).as("A acts as its holder").isEqualTo(20);
        denied(() -> tasks.assign(operator, id, "A", null), "already claimed by A");

        Tasks.Claimed toB = tasks.assign(operator, id, "B", null);
        assertThat(toB.lease().token()).as("a new claim, a later token").isGreaterThan(toA.lease().token());
        assertThat(view(id).task().assignee()).isEqualTo("B");
        denied(() -> tasks.report(a, id, Tasks.Outcome.DONE, null, null, null), "it is claimed by B, not by A");
        denied(() -> tasks.report(b, id, Tasks.Outcome.DONE, null, null, toA.lease().token()), "is stale");
        assertThat(history(id).get(history(id).size() - 1)).satisfies(event -> {
            assertThat(event.kind()).isEqualTo("task.assigned");
            assertThat(event.details()).containsEntry("to", "B").containsEntry("was", "A").containsEntry("token", toB.lease().token());
        });
        assertThat(leases.list(null, false)).as("A's claim ended").extracting(Lease::agent).containsExactly("B");

        agents.leave(b);
        assertThat(view(id).status()).as("B's claim lapsed as it left").isEqualTo(Task.Status.OPEN);
        denied(() -> tasks.assign(operator, id, "B", null), "to B: no active agent of that id");
        tasks.report(operator, id, Tasks.Outcome.DONE, null, null, null);
        denied(() -> tasks.assign(operator, id, "A", null), "cannot assign task " + id);
    }

    @Test
    void onlyTheHolderOrTheOperatorReportsAndAStaleFencingTokenIsRefused() {
        String id = create("work");
        assertThatThrownBy(() -> tasks.report(a, id, Tasks.Outcome.PROGRESS, 10L, null, null))
                .hasMessage("cannot report progress on task " + id + ": it is open, claimed by nobody");
        long token = tasks.claim(a, id, null, MINUTE).lease().token();
        denied(() -> tasks.report(b, id, Tasks.Outcome.DONE, null, null, null), "it is claimed by A, not by B");
        denied(() -> tasks.report(a, id, Tasks.Outcome.DONE, null, null, token - 1), "fencing token " + (token - 1)
                + " is stale; the current claim (A) has token " + token);
        denied(() -> tasks.report(operator, id, Tasks.Outcome.DONE, null, null, token + 1), "fencing token " + (token + 1) + " is stale");
        badInput(() -> tasks.report(a, id, null, null, null, null), "no outcome given: use progress, done, failed, released");
        badInput(() -> tasks.report(a, id, Tasks.Outcome.PROGRESS, null, null, null), "progress needs a percent from 0 to 100");
        badInput(() -> tasks.report(a, id, Tasks.Outcome.PROGRESS, 101L, null, null), "from 0 to 100, not 101");
        badInput(() -> tasks.report(a, id, Tasks.Outcome.PROGRESS, -1L, null, null), "not -1");
        badInput(() -> tasks.report(a, id, Tasks.Outcome.DONE, 50L, null, null), "a percent goes with progress only");
        badInput(() -> tasks.report(a, id, Tasks.Outcome.FAILED, null, "  ", null), "a failure needs its reason");
        badInput(() -> tasks.report(a, id, Tasks.Outcome.DONE, null, "x".repeat(Tasks.MAX_NOTE + 1), null), "note");

        Tasks.View progressed = tasks.report(a, id, Tasks.Outcome.PROGRESS, 0L, "  started  ", token);
        assertThat(progressed.task().progress()).isZero();
        assertThat(tasks.report(a, id, Tasks.Outcome.PROGRESS, 100L, "almost", null).task().progress()).isEqualTo(100);
        progressed = tasks.report(a, id, Tasks.Outcome.PROGRESS, 40L, "  parser  ", token);
        assertThat(progressed.task().progress()).isEqualTo(40);
        assertThat(progressed.task().note()).isEqualTo("parser");
        assertThat(progressed.status()).isEqualTo(Task.Status.IN_PROGRESS);
        assertThat(progressed.task().claimToken()).isEqualTo(token);

        clock.advance(Duration.ofSeconds(3));
        Tasks.View done = tasks.report(operator, id, Tasks.Outcome.DONE, null, "merged", token);
        assertThat(done.task()).isEqualTo(new Task(id, "work", "", Task.Status.DONE, 2, null, "A", "A", null, 100, "merged", null,
                done.task().createdAt(), clock.millis(), clock.millis(), List.of()));
        assertThat(leases.list(null, false)).as("the claim's lease is released").isEmpty();
        assertThat(history(id)).extracting(Event::kind).containsExactly("task.created", "lease.acquired", "task.claimed", "task.progress",
                "task.progress", "task.progress", "lease.released", "task.done");
        Event closed = history(id).getLast();
        assertThat(closed.agent()).as("the operator is no agent").isNull();
        assertThat(closed.details()).containsEntry("status", "done").containsEntry("assignee", "A").containsEntry("note", "merged");
        denied(() -> tasks.report(a, id, Tasks.Outcome.DONE, null, null, null), "it is done, claimed by nobody");
        denied(() -> tasks.report(operator, id, Tasks.Outcome.FAILED, null, "late", null), "cannot report failed on task " + id);
        String open = create("open");
        denied(() -> tasks.report(operator, open, Tasks.Outcome.DONE, null, null, 1L), "fencing token 1 is stale; it is not claimed");
    }

    @Test
    void releasingOrFailingEndsTheClaimAndTheOperatorMayCloseAnOpenTask() {
        String released = create("released");
        tasks.claim(a, released, null, MINUTE);
        tasks.report(a, released, Tasks.Outcome.PROGRESS, 30L, "halfway", null);
        Tasks.View open = tasks.report(a, released, Tasks.Outcome.RELEASED, null, null, null);
        assertThat(open.status()).isEqualTo(Task.Status.OPEN);
        assertThat(open.task().assignee()).isNull();
        assertThat(open.task().claimToken()).isNull();
        assertThat(open.task().closedAt()).isNull();
        assertThat(open.task().note()).as("kept when released without a note").isEqualTo("halfway");
        assertThat(open.task().progress()).isEqualTo(30);
        assertThat(leases.list(null, false)).isEmpty();
        assertThat(ready()).containsExactly(released);
        tasks.claim(b, released, null, MINUTE);
        assertThat(tasks.report(b, released, Tasks.Outcome.RELEASED, null, "not mine", null).task().note()).isEqualTo("not mine");

        Tasks.View failed = tasks.report(operator, released, Tasks.Outcome.FAILED, null, "obsolete", null);
        assertThat(failed.status()).isEqualTo(Task.Status.FAILED);
        assertThat(failed.task().closedAt()).isEqualTo(clock.millis());
        assertThat(failed.task().note()).isEqualTo("obsolete");
        assertThat(failed.task().progress()).isEqualTo(30);
    }

    // -------------------------------------------------------------------------- cancel, reopen

    @Test
    void cancelAndReopenFollowTheTaskStates() {
        String id = create("work");
        tasks.claim(a, id, null, MINUTE);
        denied(() -> tasks.cancel(b, id, null), "cannot cancel task " + id + ": it is claimed by A, not by B");
        Tasks.View cancelled = tasks.cancel(a, id, "  not needed ");
        assertThat(cancelled.status()).isEqualTo(Task.Status.CANCELLED);
        assertThat(cancelled.task().note()).isEqualTo("not needed");
        assertThat(cancelled.task().closedAt()).isEqualTo(clock.millis());
        assertThat(leases.list(null, false)).isEmpty();
        assertThat(history(id).getLast().kind()).isEqualTo("task.cancelled");
        assertThat(history(id).getLast().details()).containsEntry("reason", "not needed").containsEntry("status", "cancelled");
        denied(() -> tasks.cancel(a, id, null), "cannot cancel task " + id + ": it is cancelled");
        denied(() -> tasks.claim(a, id, null, MINUTE), "it is cancelled; reopen it first");

        Tasks.View reopened = tasks.reopen(b, id, null);
        assertThat(reopened.status()).isEqualTo(Task.Status.OPEN);
        assertThat(reopened.task().note()).as("kept without a reason").isEqualTo("not needed");
        assertThat(reopened.task().closedAt()).isNull();
        assertThat(reopened.task().assignee()).isNull();
        denied(() -> tasks.reopen(b, id, null), "cannot reopen task " + id + ": it is open, not closed");
        assertThat(history(id).getLast().details()).containsEntry("was", "cancelled");
        assertThat(tasks.cancel(b, id, null).task().note()).as("kept without a reason").isEqualTo("not needed");
        assertThat(tasks.reopen(b, id, "again").task().note()).isEqualTo("again");

        tasks.claim(a, id, null, MINUTE);
        tasks.report(a, id, Tasks.Outcome.DONE, null, null, null);
        denied(() -> tasks.cancel(operator, id, null), "it is done");
        String other = create("other");
        assertThat(tasks.cancel(operator, other, null).status()).as("an open task: anyone").isEqualTo(Task.Status.CANCELLED);
        badInput(() -> tasks.cancel(a, other, "x".repeat(10_000)), "reason");
    }

    // ----------------------------------------------------------------------------------- links

    @Test
    void linksAreCheckedAndACycleIsRefusedNamingIt() {
        String first = create("first");
        String second = create("second", first);
        String third = create("third", second);
        badInput(() -> tasks.link(a, third, first, TaskStore.Kind.BLOCKS), "task " + third + " cannot block " + first
                + ": that would close the cycle " + third + " -> " + first + " -> " + second + " -> " + third);
        badInput(() -> tasks.link(a, first, first, TaskStore.Kind.BLOCKS), "task " + first + " cannot be linked to itself");
        badInput(() -> tasks.link(a, first, second, null), "give the other task as blocks or related");
        Tasks.View related = tasks.link(a, third, first, TaskStore.Kind.RELATED);
        assertThat(related.related()).as("related links may go anywhere").containsExactly(first);
        assertThat(related.blocks()).isEmpty();
        assertThat(related.blockedBy()).containsExactly(second);
        assertThat(history(third).getLast().kind()).isEqualTo("task.linked");
        assertThat(history(third).getLast().details()).containsEntry("related", first);
        assertThat(view(first).related()).containsExactly(third);
        assertThat(view(first).blockedBy()).as("a related link blocks nothing").isEmpty();
        assertThat(view(first).blocks()).containsExactly(second);
        int events = history(first).size();
        tasks.link(a, first, second, TaskStore.Kind.BLOCKS);
        assertThat(history(first)).as("a link already there is not recorded again").hasSize(events);

        badInput(() -> tasks.unlink(a, second, first, TaskStore.Kind.BLOCKS), "task " + second + " does not block " + first);
        badInput(() -> tasks.unlink(a, second, first, TaskStore.Kind.RELATED), "task " + second + " is not related to " + first);
        assertThat(tasks.unlink(a, first, third, TaskStore.Kind.RELATED).related()).as("either way round").isEmpty();
        Tasks.View freed = tasks.unlink(a, first, second, TaskStore.Kind.BLOCKS);
        assertThat(freed.blocks()).isEmpty();
        assertThat(history(first).getLast().kind()).isEqualTo("task.unlinked");
        assertThat(history(first).getLast().details()).containsEntry("blocks", second);
        assertThat(ready()).containsExactly(first, second);
        tasks.link(a, third, first, TaskStore.Kind.BLOCKS);
        assertThat(view(first).status()).isEqualTo(Task.Status.BLOCKED);
        assertThat(view(first).waitingFor()).containsExactly(third);
    }

    // ------------------------------------------------------------------------- trees and counts

    @Test
    void aTreeNestsSubTasksAndTheCountsAreOfTheRowsAsOfAnEvent() {
        String epic = createWith("epic", 1, null, null);
        String api = createWith("api", null, null, epic);
        String db = createWith("db", null, List.of("db"), epic);
        String migration = createWith("migration", null, null, db);
        tasks.claim(a, api, null, MINUTE);
        tasks.report(a, api, Tasks.Outcome.DONE, null, null, null);
        tasks.claim(b, migration, null, MINUTE);
        String blocked = create("blocked", migration);
        String failed = create("failed");
        tasks.claim(a, failed, null, MINUTE);
        tasks.report(a, failed, Tasks.Outcome.FAILED, null, "no", null);
        tasks.cancel(operator, create("cancelled"), null);

        Tasks.Node tree = tasks.tree(b, epic);
        assertThat(tree.view().task().id()).isEqualTo(epic);
        assertThat(tree.view().subtasks()).isEqualTo(2);
        assertThat(tree.view().subtasksDone()).isEqualTo(1);
        assertThat(tree.subtasks()).extracting(node -> node.view().task().id()).containsExactly(api, db);
        assertThat(tree.subtasks().get(1).subtasks()).singleElement().satisfies(node -> {
            assertThat(node.view().task().id()).isEqualTo(migration);
            assertThat(node.view().activeAgents()).isEqualTo(1);
            assertThat(node.subtasks()).isEmpty();
        });
        assertThat(tasks.list(a, null, null, false, epic, true, 100)).extracting(view -> view.task().id()).containsExactly(api, db);
        assertThat(tasks.list(a, null, "db", false, null, true, 100)).extracting(view -> view.task().id()).containsExactly(db);
        assertThat(tasks.list(b, null, null, true, null, true, 100)).extracting(view -> view.task().id()).containsExactly(migration);
        assertThat(tasks.list(a, null, null, false, null, true, 2)).hasSize(2);
        assertThat(tasks.list(a, null, null, false, null, false, 100)).as("without closed ones").extracting(view -> view.task().id())
                .containsExactly(epic, db, migration, blocked);
        assertThat(tasks.list(a, Task.Status.DONE, null, false, null, false, 100)).extracting(view -> view.task().id()).containsExactly(api);
        assertThat(tasks.list(a, null, null, false, null, true, 0)).as("at least one").hasSize(1);

        Tasks.Stats stats = tasks.stats(a);
        assertThat(stats.byStatus()).containsExactly(Map.entry("open", 2L), Map.entry("blocked", 1L), Map.entry("in-progress", 1L),
                Map.entry("done", 1L), Map.entry("failed", 1L), Map.entry("cancelled", 1L));
        assertThat(stats.byAssignee()).containsExactly(new Tasks.AgentCounts("A", 0, 1, 1, 0), new Tasks.AgentCounts("B", 1, 0, 0, 0));
        assertThat(stats.byParent()).containsExactlyInAnyOrder(new Tasks.ParentCounts(db, 0, 1), new Tasks.ParentCounts(epic, 1, 2));
        assertThat(stats.activeAgents()).containsExactly(new Tasks.TaskAgents(migration, 1));
        List<Event> all = new EventLog(store).latest(null, null, 1);
        assertThat(stats.asOfEvent()).isEqualTo(all.getFirst().id());
        assertThat(view(blocked).status()).isEqualTo(Task.Status.BLOCKED);
    }

    @Test
    void aCallerWithAWrongTokenIsRefusedBeforeAnything() {
        Caller impostor = Caller.ofAgent("A", "not-the-token");
        assertThatThrownBy(() -> tasks.create(impostor, new Tasks.Draft("t", null, null, null, null, null))).isInstanceOf(SwarmException.class)
                .extracting(e -> ((SwarmException) e).kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        assertThat(tasks.list(reader, null, null, false, null, true, 10)).isEmpty();
    }

    @Test
    void aClosedTaskWaitsForNothingAndStatusesAndOutcomesParseByTheirLabels() {
        String blocker = create("blocker");
        String waiting = create("waiting", blocker);
        Tasks.View cancelled = tasks.cancel(a, waiting, null);
        assertThat(cancelled.waitingFor()).isEmpty();
        assertThat(cancelled.blockedBy()).containsExactly(blocker);
        assertThat(cancelled.status()).isEqualTo(Task.Status.CANCELLED);

        assertThat(Task.Status.parse(" In-Progress ")).isEqualTo(Task.Status.IN_PROGRESS);
        assertThatThrownBy(() -> Task.Status.parse("wip")).hasMessage("unknown task status 'wip': use open, blocked, in-progress, done, failed, "
                + "cancelled");
        assertThatThrownBy(() -> Task.Status.parse(null)).hasMessageContaining("unknown task status 'null'");
        assertThat(Tasks.Outcome.parse(" DONE ")).isEqualTo(Tasks.Outcome.DONE);
        assertThatThrownBy(() -> Tasks.Outcome.parse("finished")).hasMessage("unknown outcome 'finished': use progress, done, failed, released");
        assertThatThrownBy(() -> Tasks.Outcome.parse(null)).hasMessageContaining("unknown outcome 'null'");
    }

    // ------------------------------------------------------------------------------ lapsed claims

    @Test
    void anExpiredClaimNotYetSweptLapsesOnTheNextTaskCallSayingWhenItExpired() {
        String id = create("work");
        Lease lease = tasks.claim(a, id, null, MINUTE).lease();
        clock.advance(Duration.ofMinutes(2)); // A is silent, not yet gone

        assertThat(view(id).status()).isEqualTo(Task.Status.OPEN);
        assertThat(history(id).getLast().details()).containsEntry("reason",
                "the claim of A expired at " + Instant.ofEpochMilli(lease.expiresAt()) + " (no call since)");
    }

    @Test
    void theSweepAloneOpensATaskWhoseClaimLapsedAndDoesNothingWhenNoneDid() {
        String id = create("work");
        tasks.claim(a, id, null, MINUTE);
        EventLog log = new EventLog(store);
        long before = log.latest(null, null, 1).getFirst().id();
        tasks.sweep();
        assertThat(log.after(before, null, null, 10)).as("nothing lapsed: nothing written").isEmpty();

        leases.release(a, List.of(Resource.ofTask(id)));
        tasks.sweep();

        assertThat(log.latest(null, "task.lapsed", 10)).singleElement()
                .satisfies(event -> assertThat(event.resource()).isEqualTo("task:" + id));
    }

    @Test
    void aClaimWhoseHolderStopsCallingExpiresAtItsTtlAndTheTaskIsReadyAgainSayingWhen() {
        String id = create("work");
        Lease lease = tasks.claim(a, id, null, MINUTE).lease();
        clock.advance(Duration.ofSeconds(59));
        assertThat(view(id).status()).as("another's call: A's claim still runs").isEqualTo(Task.Status.IN_PROGRESS);
        clock.advance(Duration.ofSeconds(30));
        leases.sweep(); // the lease sweep, half a minute after the expiry: the lease expires and says so

        assertThat(tasks.list(b, Task.Status.OPEN, null, false, null, true, 10)).extracting(view -> view.task().id()).containsExactly(id);
        Event lapsed = history(id).getLast();
        assertThat(lapsed.kind()).isEqualTo("task.lapsed");
        assertThat(lapsed.details()).containsEntry("status", "open").containsEntry("was", "A").containsEntry("reason",
                "the claim of A expired at " + Instant.ofEpochMilli(lease.expiresAt()) + " (no call since)");
        assertThat(lapsed.details().get("token")).isEqualTo(lease.token());
        denied(() -> tasks.report(a, id, Tasks.Outcome.DONE, null, null, null), "claimed by nobody; its claim by A lapsed: the claim of A expired");
        assertThat(tasks.claim(b, null, null, MINUTE).view().task().id()).isEqualTo(id);
    }

    @Test
    void aClaimLastsWhileItsHolderKeepsCalling() {
        String id = create("long work");
        long token = tasks.claim(a, id, null, MINUTE).lease().token();
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(50));
            agents.heartbeat(a);
        }
        tasks.sweep();
        Tasks.View view = view(id);
        assertThat(view.status()).as("500 s with a call every 50 s, ttl 60 s").isEqualTo(Task.Status.IN_PROGRESS);
        assertThat(tasks.report(a, id, Tasks.Outcome.DONE, null, null, token).status()).isEqualTo(Task.Status.DONE);
    }

    @Test
    void aDeadHoldersTaskIsReadyAgainAfterTheSweepWithTheDeathAsItsReason() {
        processes.start(4242, clock.millis() - 5_000);
        Caller mortal = register("M", 4242L);
        String id = create("work");
        tasks.claim(mortal, id, null, MINUTE);
        processes.end(4242);

        agents.sweep(); // the hub's timers: the registry's sweep releases the dead agent's leases,
        tasks.sweep(); // then the task sweep opens its task again

        Tasks.View view = view(id);
        assertThat(view.status()).isEqualTo(Task.Status.OPEN);
        assertThat(view.task().assignee()).isNull();
        Event lapsed = history(id).getLast();
        assertThat(lapsed.kind()).isEqualTo("task.lapsed");
        assertThat(String.valueOf(lapsed.details().get("reason"))).startsWith("the claim of M was released: ").contains("4242");
        assertThat(tasks.stats(a).activeAgents()).isEmpty();
    }

    @Test
    void aClaimWhoseLeaseIsReleasedByHandLapsesOnTheNextTaskCall() {
        String id = create("work");
        tasks.claim(a, id, null, MINUTE);
        leases.release(a, List.of(Resource.ofTask(id)));
        assertThat(view(id).status()).isEqualTo(Task.Status.OPEN);
        assertThat(history(id).getLast().details()).containsEntry("reason", "A released the lease task:" + id);
        tasks.sweep(); // nothing left to lapse
        assertThat(history(id).stream().filter(event -> event.kind().equals("task.lapsed"))).hasSize(1);

        tasks.claim(b, id, null, MINUTE);
        leases.releaseAgent(operator, "B", null, "operator says so");
        tasks.sweep();
        assertThat(history(id).getLast().details()).containsEntry("reason", "the claim of B was released: operator says so");
    }
}
