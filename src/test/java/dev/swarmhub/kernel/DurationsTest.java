package dev.swarmhub.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** {@link Durations} and the input checks in {@link Limits}. */
class DurationsTest {

    // ---------------------------------------------------------------- Durations.parse

    @Test
    void parsesEachUnit() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void parsesCombinedParts() {
        assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("1s500ms")).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void aBareNumberNeedsAUnitExceptZero() {
        assertThat(catchThrowableOfType(SwarmException.class, () -> Durations.parse("45")))
                .hasMessage("duration '45' needs a unit: 45s, 45m or 45h (a bare number is ambiguous)");
        assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(Durations.parse("000")).isEqualTo(Duration.ZERO);
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertThat(Durations.parse(" 30s ")).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void badDurationsAreRejectedNamingTheInput() {
        for (String input : List.of("abc", "5x", "-1s", "1.5s", "s", "ms", "1m 30s", "30s!", "1m30", "0x10s")) {
            assertBadInput(() -> Durations.parse(input), input);
        }
    }

    @Test
    void digitsOfOtherScriptsAndSignsAreNotNumbers() {
        for (String input : List.of("\u0663\u0660", "\u0663\u0660s", "\uFF13\uFF10", "\u096A", "+30", "+30s")) {
            assertBadInput(() -> Durations.parse(input), input);
        }
    }

    @Test
    void emptyDurationIsRejected() {
        assertBadInput(() -> Durations.parse(""), "empty");
        assertBadInput(() -> Durations.parse("   "), "empty");
        assertBadInput(() -> Durations.parse(null), "empty");
    }

    // ---------------------------------------------------------------- Durations.format

    @Test
    void formatsTypicalValuesInTheLargestExactUnit() {
        assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(Durations.format(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("1d");
        assertThat(Durations.format(Duration.ofHours(36))).isEqualTo("36h");
        assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(Durations.parse("1d12h")).isEqualTo(Duration.ofHours(36));
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    }

    @Test
    void formatRoundTripsTypicalValues() {
        for (Duration d : List.of(Duration.ZERO, Duration.ofMillis(1), Duration.ofMillis(500), Duration.ofMillis(1500),
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(90), Duration.ofMinutes(5),
                Duration.ofMinutes(90), Duration.ofHours(1), Duration.ofHours(24), Limits.DEFAULT_TTL)) {
            assertThat(Durations.parse(Durations.format(d))).as("parse(format(%s)) via '%s'", d, Durations.format(d))
                    .isEqualTo(d);
        }
    }

    @Test
    void formatRoundTripsRandomWholeMillisecondValuesUpToTwoDays() {
        long seed = Long.getLong("swarm.seed", 20_250_101L);
        Random random = new Random(seed);
        for (int i = 0; i < 2_000; i++) {
            // mix of sub-second, whole-second, whole-minute and whole-hour values
            long ms = switch (i % 4) {
                case 0 -> random.nextLong(48L * 3_600_000);
                case 1 -> random.nextLong(48L * 3_600) * 1_000;
                case 2 -> random.nextLong(48L * 60) * 60_000;
                default -> random.nextLong(48) * 3_600_000;
            };
            Duration d = Duration.ofMillis(ms);
            String text = Durations.format(d);
            assertThat(Durations.parse(text)).as("seed=%d case=%d: %s formatted as '%s'", seed, i, d, text).isEqualTo(d);
        }
    }

    // ---------------------------------------------------------------- Limits

    @Test
    void agentIdsMatchingTheDocumentedPatternAreAccepted() {
        for (String id : List.of("a", "Z", "7", "agent-1", "agent_1", "claude.code", "A1_b.c-d", "x" + "-".repeat(63),
                "a".repeat(64))) {
            assertThat(Limits.agentId(id)).as("agentId(%s)", id).isEqualTo(id);
        }
    }

    @Test
    void agentIdsNotMatchingTheDocumentedPatternAreRejected() {
        for (String id : List.of("-agent", "_agent", ".agent", "a".repeat(65), "agent 1", "agent/1", "agent:1",
                "agent@host", "agént", "agent\n", "\nagent", "agent\t")) {
            assertBadInput(() -> Limits.agentId(id), "'" + id + "'");
        }
        assertBadInput(() -> Limits.agentId(""), "agent");
        assertBadInput(() -> Limits.agentId(null), "agent");
    }

    @Test
    void reasonUpToTheLimitIsAcceptedAndLongerIsRejected() {
        String atLimit = "r".repeat(Limits.MAX_REASON);
        assertThat(Limits.MAX_REASON).isEqualTo(512);
        assertThat(Limits.reason(atLimit)).isEqualTo(atLimit);
        assertThat(Limits.reason("JWT refactor")).isEqualTo("JWT refactor");
        assertThat(Limits.reason(null)).isEmpty();
        assertBadInput(() -> Limits.reason(atLimit + "r"), "513");
    }

    @Test
    void reasonWithANewlineOrOtherControlCharacterIsRejected() {
        for (String reason : List.of("line one\nline two", "trailing\n", "cr\r", "tab\there", "nul\0")) {
            assertBadInput(() -> Limits.reason(reason), "control character");
        }
    }

    @Test
    void reasonWithInvisibleDirectionChangingOrHalfCharactersIsRejected() {
        assertBadInput(() -> Limits.reason("fix \u202Egnp.exe"), "reason contains U+202E");
        assertBadInput(() -> Limits.reason("zero\u200Dwidth"), "U+200D");
        assertBadInput(() -> Limits.reason("half \uDBFF"), "U+DBFF (half of a surrogate pair)");
        assertThat(Limits.reason("emoji \uD83D\uDE00 is fine")).isEqualTo("emoji \uD83D\uDE00 is fine");
    }

    @Test
    void ttlBetweenOneSecondAndOneDayIsAccepted() {
        assertThat(Limits.ttl(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
        assertThat(Limits.ttl(Duration.ofMinutes(10))).isEqualTo(Duration.ofMinutes(10));
        assertThat(Limits.ttl(Duration.ofHours(24))).isEqualTo(Duration.ofHours(24));
        assertThat(Limits.ttl(null)).isEqualTo(Limits.DEFAULT_TTL);
    }

    @Test
    void ttlOutsideOneSecondToOneDayIsRejectedNamingTheValue() {
        assertBadInput(() -> Limits.ttl(Duration.ofMillis(999)), "999ms");
        assertBadInput(() -> Limits.ttl(Duration.ZERO), "0s");
        assertBadInput(() -> Limits.ttl(Duration.ofSeconds(-5)), "ttl");
        assertBadInput(() -> Limits.ttl(Duration.ofHours(24).plusMillis(1)), "86400001ms");
        assertBadInput(() -> Limits.ttl(Duration.ofHours(25)), "25h");
    }

    @Test
    void waitBetweenZeroAndOneDayIsAcceptedAndOutsideRejected() {
        assertThat(Limits.waitTime(null)).isEqualTo(Duration.ZERO);
        assertThat(Limits.waitTime(Duration.ZERO)).isEqualTo(Duration.ZERO);
        assertThat(Limits.waitTime(Duration.ofHours(24))).isEqualTo(Duration.ofHours(24));
        assertBadInput(() -> Limits.waitTime(Duration.ofMillis(-1)), "wait");
        assertBadInput(() -> Limits.waitTime(Duration.ofHours(25)), "25h");
    }

    private static void assertBadInput(Executable call, String expectedInMessage) {
        SwarmException e = catchThrowableOfType(SwarmException.class, call::execute);
        assertThat(e).as("expected a SwarmException mentioning '%s'", expectedInMessage).isNotNull();
        assertThat(e.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(e.getMessage()).contains(expectedInMessage);
    }
}
