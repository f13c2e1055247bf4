package dev.swarmhub.processes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Settings;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.tasks.Tasks;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processes domain in process over a real store, as {@code TasksTest} builds it: the real
 * registry as the gate, the task queue, a pretend process table ({@link FakeProcesses}), a clock
 * that moves only when a test moves it, and the hub's part played by {@link FakeHub}.
 */
abstract class ProcessFixture {

    /** The final events: every run that ends has exactly one. */
    static final List<String> FINAL = List.of("process.exited", "process.killed", "process.lost");

    @TempDir
    Path project;

    MutableClock clock;
    Store store;
    final FakeProcesses machine = new FakeProcesses();
    Agents agents;
    Leases leases;
    Tasks tasks;
    Settings settings;
    Processes processes;
    FakeHub hub;
    EventLog log;
    final Caller operator = Caller.ofOperator();

    @BeforeEach
    void openStore() {
        clock = MutableClock.startingAt2030();
        store = TestStores.open(project, clock);
        agents = new Agents(store, machine);
        leases = new Leases(store, agents, machine);
        tasks = new Tasks(store, agents);
        settings = new Settings(store, agents, Stream.of(Processes.SETTINGS, Agents.SETTINGS).flatMap(List::stream).toList());
        processes = new Processes(store, agents, tasks, machine);
        hub = new FakeHub(FakeProcesses.HOST, FakeHub.ROOT, machine, clock).supervising(processes);
        log = new EventLog(store);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    // ------------------------------------------------------------------------------------ helpers

    Caller register(String id) {
        return Caller.ofAgent(id, agents.register(new Agents.Registration(id, "other", null, null, null)).token());
    }

    /** The run's agent, with the token the hub gave its process. */
    Caller as(Run run) {
        String token = hub.tokens.get(run.agent());
        assertThat(token).as("the hub started " + run.agent()).isNotNull();
        return Caller.ofAgent(run.agent(), token);
    }

    static Run.Spec command(String name, String task) {
        return Processes.spec(name, null, task, List.of("worker", "--flag"), null, null, false, false, null);
    }

    static Run.Spec claude(String name, Double budget) {
        return Processes.spec(name, Run.Kind.CLAUDE, null, List.of("claude", "-p", "work"), null, null, false, false, budget);
    }

    Run spawn(Caller caller, String name) {
        return processes.spawn(caller, command(name, null)).run();
    }

    Run spawn(Caller caller, String name, String task) {
        return processes.spawn(caller, command(name, task)).run();
    }

    Run run(Run run) {
        return processes.show(operator, run.id());
    }

    Run.State state(Run run) {
        return run(run).state();
    }

    Agent agent(String id) {
        return agents.find(id).orElseThrow();
    }

    void setting(String name, String value) {
        settings.set(operator, name, value);
    }

    void maxProcesses(int max) {
        setting(Processes.MAX.name(), Integer.toString(max));
    }

    List<Event> events() {
        return log.after(0, null, null, EventLog.MAX_LIMIT);
    }

    /** The run's events (those naming it), oldest first. */
    List<Event> eventsOf(Run run) {
        return events().stream().filter(event -> run.id().equals(event.details().get("run"))).toList();
    }

    List<String> kindsOf(Run run) {
        return eventsOf(run).stream().map(Event::kind).toList();
    }

    Event lastEvent(Run run, String kind) {
        List<Event> matching = eventsOf(run).stream().filter(event -> event.kind().equals(kind)).toList();
        assertThat(matching).as(kind + " of " + run.agent()).isNotEmpty();
        return matching.getLast();
    }

    long lastEventId() {
        return log.latest(null, null, 1).getFirst().id();
    }

    /**
     * The runs' states, recounted from the events up to {@code asOfEvent}: each run as its last
     * event then says (every change of a run's state is an event carrying the state).
     */
    static Map<String, Map<String, Object>> recount(List<Event> events, long asOfEvent) {
        Map<String, Map<String, Object>> runs = new LinkedHashMap<>();
        for (Event event : events) {
            if (event.id() <= asOfEvent && event.kind().startsWith("process.")) {
                runs.put((String) event.details().get("run"), event.details());
            }
        }
        return runs;
    }

    static List<ProcessStore.Count> recountBy(Map<String, Map<String, Object>> runs, String key) {
        Map<String, long[]> counts = new java.util.TreeMap<>();
        runs.values().forEach(details -> {
            Object value = details.get(key);
            String state = (String) details.get("state");
            if (value != null && (state.equals("queued") || state.equals("starting") || state.equals("running"))) {
                long[] count = counts.computeIfAbsent((String) value, k -> new long[2]);
                count[state.equals("queued") ? 1 : 0]++;
            }
        });
        List<ProcessStore.Count> answer = new ArrayList<>();
        counts.forEach((value, count) -> answer.add(new ProcessStore.Count(value, count[0], count[1])));
        return answer;
    }

    static long recountIn(Map<String, Map<String, Object>> runs, String... states) {
        return runs.values().stream().filter(details -> List.of(states).contains((String) details.get("state"))).count();
    }

    /** Stats and the same counts recounted from the events up to its asOfEvent agree. */
    void statsMatchEvents(Processes.Stats stats) {
        Map<String, Map<String, Object>> runs = recount(events(), stats.asOfEvent());
        assertThat(stats.live()).as("live").isEqualTo(recountIn(runs, "starting", "running"));
        assertThat(stats.queued()).as("queued").isEqualTo(recountIn(runs, "queued"));
        assertThat(stats.byTask()).as("by task").isEqualTo(recountBy(runs, "task"));
        assertThat(stats.byParent()).as("by parent").isEqualTo(recountBy(runs, "parent"));
    }

    static void badInput(ThrowableAssert.ThrowingCallable call, String message) {
        refused(call, SwarmException.Kind.BAD_INPUT, message);
    }

    static void denied(ThrowableAssert.ThrowingCallable call, String message) {
        refused(call, SwarmException.Kind.DENIED, message);
    }

    static void refused(ThrowableAssert.ThrowingCallable call, SwarmException.Kind kind, String message) {
        assertThatThrownBy(call).isInstanceOf(SwarmException.class).hasMessageContaining(message)
                .extracting(e -> ((SwarmException) e).kind()).isEqualTo(kind);
    }
}
