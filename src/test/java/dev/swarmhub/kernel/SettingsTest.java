package dev.swarmhub.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Project settings and the event log over a real store: canonical values, rules, who may change them, limits. */
class SettingsTest {

    private static final Setting<Duration> WAIT = Setting.duration("test.wait", Duration.ofSeconds(30));
    private static final Setting<Integer> SIZE = Setting.count("test.size", 10, 500, "bytes");
    /** Refuses anything above 5 minutes while test.size is 1. */
    private static final Setting<Duration> RULED = Setting.duration("test.ruled", Duration.ofMinutes(1)).checkedBy((tx, value) -> {
        if (SIZE.in(tx) == 1 && value.compareTo(Duration.ofMinutes(5)) > 0) {
            throw SwarmException.badInput("test.ruled must stay at most 5m while test.size is 1");
        }
    });

    @TempDir
    Path project;

    private Store store;
    private final List<String> admitted = new java.util.ArrayList<>();
    private Settings settings;
    private EventLog log;

    @BeforeEach
    void openStore() {
        store = TestStores.open(project, MutableClock.startingAt2030());
        Gate recording = new Gate() {
            @Override
            public void admit(Tx tx, Caller caller) {
                admitted.add(caller.toString());
            }

            @Override
            public void sweep(Tx tx) {
            }
        };
        settings = new Settings(store, recording, List.of(WAIT, SIZE, RULED));
        log = new EventLog(store);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void everyKnownSettingIsListedByNameWithItsDefaultUntilChangedThenItsCanonicalValue() {
        assertThat(settings.all()).containsExactly(Map.entry("test.ruled", "1m"), Map.entry("test.size", "10"), Map.entry("test.wait", "30s"));
        assertThat(settings.value(WAIT)).isEqualTo(Duration.ofSeconds(30));

        settings.set(Caller.ofOperator(), "test.wait", " 120s ");
        settings.set(Caller.ofOperator(), "test.size", "007");

        assertThat(settings.all()).containsExactly(Map.entry("test.ruled", "1m"), Map.entry("test.size", "7"), Map.entry("test.wait", "2m"));
        assertThat(admitted).as("each change passes the gate as the operator").containsExactly("operator", "operator");
        assertThat(settings.value(WAIT)).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.value(SIZE)).isEqualTo(7);
        List<Event> changes = log.latest(null, "setting.changed", 10);
        assertThat(changes).extracting(Event::details)
                .containsExactly(Map.of("name", "test.wait", "value", "2m"), Map.of("name", "test.size", "value", "7"));
    }

    @Test
    void anUnknownSettingIsBadInputNamingTheKnownOnesAndAnAgentMayChangeNone() {
        SwarmException unknown = catchThrowableOfType(SwarmException.class, () -> settings.set(Caller.ofOperator(), "test.nope", "1"));
        assertThat(unknown.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(unknown.getMessage()).isEqualTo("unknown setting 'test.nope': known are test.ruled, test.size, test.wait");

        SwarmException agent = catchThrowableOfType(SwarmException.class, () -> settings.set(Caller.ofAgent("agent-1", "t"), "test.wait", "5s"));
        assertThat(agent.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        assertThat(agent.getMessage()).contains("only the operator");
        assertThat(settings.value(WAIT)).isEqualTo(Duration.ofSeconds(30));
        assertThat(log.latest(null, "setting.changed", 10)).isEmpty();
    }

    @Test
    void aCountIsAWholeNumberFromOneToItsLargestAndABadOneNamesTheSettingAndUnit() {
        settings.set(Caller.ofOperator(), "test.size", "1");
        assertThat(settings.value(SIZE)).isEqualTo(1);
        settings.set(Caller.ofOperator(), "test.size", "500");
        assertThat(settings.value(SIZE)).isEqualTo(500);
        for (String bad : new String[] {"0", "501", "-1", "+5", "5.0", "ten", "", "0500"}) {
            SwarmException refused = catchThrowableOfType(SwarmException.class, () -> settings.set(Caller.ofOperator(), "test.size", bad));
            assertThat(refused).as("'" + bad + "'").isNotNull();
            assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
            assertThat(refused.getMessage()).isEqualTo("bad test.size '" + bad + "': use a number of bytes from 1 to 500");
        }
        assertThat(settings.value(SIZE)).isEqualTo(500);
    }

    @Test
    void aRuleSeesTheOtherSettingsInTheSameWriteAndARefusedValueIsNotStored() {
        settings.set(Caller.ofOperator(), "test.ruled", "10m"); // test.size is 10: allowed
        settings.set(Caller.ofOperator(), "test.ruled", "5m");
        settings.set(Caller.ofOperator(), "test.size", "1");
        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> settings.set(Caller.ofOperator(), "test.ruled", "6m"));
        assertThat(refused.getMessage()).isEqualTo("test.ruled must stay at most 5m while test.size is 1");
        assertThat(settings.value(RULED)).isEqualTo(Duration.ofMinutes(5));
        assertThat(log.latest(null, "setting.changed", 10)).hasSize(3);
    }

    @Test
    void theEventLogTakesOneToTenThousandEventsAtATime() {
        settings.set(Caller.ofOperator(), "test.size", "2");
        settings.set(Caller.ofOperator(), "test.size", "3");
        assertThat(log.latest(null, null, 1)).extracting(e -> e.details().get("value")).containsExactly("3");
        assertThat(log.latest(null, null, EventLog.MAX_LIMIT)).hasSize(2);
        long first = log.latest(null, null, 2).get(0).id();
        assertThat(log.after(first, null, null, 1)).extracting(e -> e.details().get("value")).containsExactly("3");
        assertThat(log.after(0, null, "setting.changed", EventLog.MAX_LIMIT)).hasSize(2);
        for (int bad : new int[] {0, -1, EventLog.MAX_LIMIT + 1}) {
            for (Runnable read : List.<Runnable>of(() -> log.latest(null, null, bad), () -> log.after(0, null, null, bad))) {
                SwarmException refused = catchThrowableOfType(SwarmException.class, read::run);
                assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
                assertThat(refused.getMessage()).isEqualTo("limit " + bad + " is out of range: use 1 to 10000");
            }
        }
    }
    @Test
    void theLogOperationReadsTheNewestFiftyByDefaultOrThoseAfterAnId() {
        for (int i = 1; i <= 52; i++) {
            settings.set(Caller.ofOperator(), "test.size", Integer.toString(i));
        }
        LogOperations operations = new LogOperations(log);
        List<Event> newest = operations.read.run(Caller.ofOperator(), new LogOperations.Read(null, null, null, null, null));
        assertThat(newest).hasSize(LogOperations.DEFAULT_LIMIT);
        assertThat(newest.get(newest.size() - 1).details()).containsEntry("value", "52");
        assertThat(newest.get(0).details()).containsEntry("value", "3");
        long first = log.latest(null, null, 52).get(0).id();
        assertThat(operations.read.run(Caller.ofOperator(), new LogOperations.Read(null, "setting.changed", first, null, 2)))
                .extracting(event -> event.details().get("value")).containsExactly("2", "3");
        assertThat(operations.read.run(Caller.ofOperator(), new LogOperations.Read("agent-1", null, null, null, 5))).isEmpty();
        long oldestShown = newest.get(0).id();
        assertThat(operations.read.run(Caller.ofOperator(), new LogOperations.Read(null, null, null, oldestShown, 2)))
                .as("the page before: the two events just older, oldest first").extracting(event -> event.details().get("value"))
                .containsExactly("1", "2");
        assertThat(operations.read.run(Caller.ofOperator(), new LogOperations.Read(null, "setting.changed", null, first, 5)))
                .as("strictly before").isEmpty();
        assertThatThrownBy(() -> new LogOperations.Read(null, null, 1L, 2L, null)).hasMessageContaining("not both");
    }
}
