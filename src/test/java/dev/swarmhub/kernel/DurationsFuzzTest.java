package dev.swarmhub.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.swarmhub.testing.Fuzzing;
import java.time.Duration;

/** Durations as people type them, fuzzed (seeds: DurationsFuzzTestInputs). */
class DurationsFuzzTest {

    /** A duration is read or refused as bad input; one read is never negative and fits in milliseconds, as its users count it. */
    @FuzzTest
    void aDurationIsReadOrRefusedAsBadInput(byte[] input) {
        Fuzzing.answerOrBadInput(() -> Durations.parse(Fuzzing.text(input))).ifPresent(duration -> {
            assertThat(duration).isGreaterThanOrEqualTo(Duration.ZERO);
            assertThat(duration.toMillis()).isNotNegative();
        });
    }
}
