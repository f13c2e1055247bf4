package dev.swarmhub.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * What every domain shares, on its own: callers, tokens, the characters one-line text refuses,
 * process identity, event details and error kinds. (Settings and the event log run over a real
 * store in {@code SettingsTest}.)
 */
class KernelTest {

    // ---------------------------------------------------------------- Caller

    @Test
    void theOperatorActsForNoAgentAndACallerWithoutAnIdIsUnauthenticated() {
        SwarmException operator = catchThrowableOfType(SwarmException.class, () -> Caller.ofOperator().agentId());
        assertThat(operator.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(operator.getMessage()).contains("operator token acts for no agent");

        for (String missing : new String[] {null, ""}) {
            SwarmException none = catchThrowableOfType(SwarmException.class, () -> Caller.ofAgent(missing, "t").agentId());
            assertThat(none.kind()).as("agent " + missing).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
            assertThat(none.getMessage()).contains("no agent given");
        }
        SwarmException bad = catchThrowableOfType(SwarmException.class, () -> Caller.ofAgent("-bad", "t").agentId());
        assertThat(bad.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(bad.getMessage()).contains("bad agent id '-bad'");

        assertThat(Caller.ofAgent("agent-1", "t").agentId()).isEqualTo("agent-1");
    }

    @Test
    void aCallerPrintsWhoItIsAndNeverItsToken() {
        assertThat(Caller.ofAgent("agent-1", "swt_secret")).hasToString("agent agent-1");
        assertThat(Caller.ofOperator()).hasToString("operator");
        assertThat(Caller.ofOperator().operator()).isTrue();
        assertThat(Caller.ofAgent("agent-1", "swt_secret").operator()).isFalse();
    }

    // ---------------------------------------------------------------- Tokens

    @Test
    void tokensAre256RandomBitsAndMatchOnlyTheirOwnSha256Hash() {
        String token = Tokens.newToken();
        assertThat(token).matches("swt_[A-Za-z0-9_-]{43}");
        assertThat(Tokens.newToken()).isNotEqualTo(token);
        assertThat(Tokens.hash("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

        assertThat(Tokens.matches(token, Tokens.hash(token))).isTrue();
        assertThat(Tokens.matches(token + "x", Tokens.hash(token))).isFalse();
        assertThat(Tokens.matches(null, Tokens.hash(token))).isFalse();
        assertThat(Tokens.matches(token, null)).isFalse();
    }

    // ---------------------------------------------------------------- Limits: one-line text

    @Test
    void everyBidiZeroWidthAndHalfSurrogateCharacterHidesAndItsNeighboursDoNot() {
        int[] hiding = {0x202A, 0x202E, 0x2066, 0x2069, 0x200E, 0x200F, 0x061C, 0x200B, 0x200D, 0x2060, 0xFEFF, 0x180E, 0xD800, 0xDFFF};
        for (int c : hiding) {
            assertThat(Limits.hides(c)).as("U+%04X", c).isTrue();
            assertThat(Limits.unsafeInLine(c)).as("U+%04X", c).isTrue();
        }
        // just outside each range, and a supplementary character whose low 16 bits look like a surrogate
        int[] visible = {0x2029, 0x202F, 0x2065, 0x206A, 0x200A, 0x2061, 0x061B, 0x061D, 0xFEFE, 0x180D, 0xD7FF, 0xE000, 0x1D800, 'a', 'é'};
        for (int c : visible) {
            assertThat(Limits.hides(c)).as("U+%04X", c).isFalse();
            assertThat(Limits.unsafeInLine(c)).as("U+%04X", c).isFalse();
        }
        assertThat(Limits.unsafeInLine('\n')).isTrue();
        assertThat(Limits.unsafeInLine(0x7F)).isTrue();
    }

    @Test
    void aRefusedCharacterIsNamedByCodePointAndWhatItIs() {
        assertThat(Limits.describe(0)).isEqualTo("U+0000 (NUL, a control character)");
        assertThat(Limits.describe('\n')).isEqualTo("U+000A (a control character)");
        assertThat(Limits.describe(0xD800)).isEqualTo("U+D800 (half of a surrogate pair)");
        assertThat(Limits.describe(0x202E)).isEqualTo("U+202E (an invisible or direction-changing character)");

        SwarmException refused = catchThrowableOfType(SwarmException.class, () -> Limits.visibleText("label", "a\u202Eb", 10));
        assertThat(refused.kind()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        assertThat(refused.getMessage()).isEqualTo("label contains U+202E (an invisible or direction-changing character): remove it");
    }

    @Test
    void visibleTextMayHaveExactlyItsMaximumLength() {
        assertThat(Limits.visibleText("label", "abc", 3)).isEqualTo("abc");
        SwarmException tooLong = catchThrowableOfType(SwarmException.class, () -> Limits.visibleText("label", "abcd", 3));
        assertThat(tooLong.getMessage()).isEqualTo("label is 4 characters; at most 3");
    }

    @Test
    void digitsAreOneToMaxAsciiDigits() {
        assertThat(Limits.digits("1", 1)).isTrue();
        assertThat(Limits.digits("123", 3)).isTrue();
        assertThat(Limits.digits("1234", 3)).isFalse();
        assertThat(Limits.digits("", 3)).isFalse();
        assertThat(Limits.digits("09", 2)).isTrue();
        assertThat(Limits.digits("0a", 2)).isFalse();
        assertThat(Limits.digits("/", 1)).as("the character before '0'").isFalse();
        assertThat(Limits.digits(":", 1)).as("the character after '9'").isFalse();
    }

    // ---------------------------------------------------------------- ProcessProbe

    /** A probe of a pretend host where only pid 42, started at 10 000 ms, runs. */
    private static final ProcessProbe ONE_PROCESS = new ProcessProbe() {
        @Override
        public String host() {
            return "here";
        }

        @Override
        public OptionalLong startedAt(long pid) {
            return pid == 42 || pid == ProcessHandle.current().pid() ? OptionalLong.of(10_000) : OptionalLong.empty();
        }
    };

    @Test
    void aProcessRunsOnlyOnThisHostWithItsPidAndAStartTimeWithinTheProbesTolerance() {
        assertThat(ONE_PROCESS.runs(new ProcessIdentity("here", 42, 10_000))).isTrue();
        assertThat(ONE_PROCESS.runs(new ProcessIdentity("here", 42, 9_000))).as("1 s earlier: clock-tick rounding").isTrue();
        assertThat(ONE_PROCESS.runs(new ProcessIdentity("here", 42, 11_000))).as("1 s later").isTrue();
        assertThat(ONE_PROCESS.runs(new ProcessIdentity("here", 42, 8_999))).as("a reused pid").isFalse();
        assertThat(ONE_PROCESS.runs(new ProcessIdentity("here", 42, 11_001))).as("a reused pid").isFalse();
        assertThat(ONE_PROCESS.runs(new ProcessIdentity("here", 43, 10_000))).as("no such pid").isFalse();
        assertThat(ONE_PROCESS.runs(new ProcessIdentity("elsewhere", 42, 10_000))).as("another host's").isFalse();
    }

    @Test
    void theCurrentProcessIsKnownOnlyWhenItsStartTimeCanBeRead() {
        long pid = ProcessHandle.current().pid();
        assertThat(ONE_PROCESS.current()).contains(new ProcessIdentity("here", pid, 10_000));
        ProcessProbe blind = new ProcessProbe() {
            @Override
            public String host() {
                return "here";
            }

            @Override
            public OptionalLong startedAt(long pid) {
                return OptionalLong.empty();
            }
        };
        assertThat(blind.current()).isEqualTo(Optional.empty());
    }

    // ---------------------------------------------------------------- Ids

    @Test
    void anIdIsItsTimeInTenBase32CharactersThenSixteenRandomOnesAndSortsByTime() {
        assertThat(Ids.next(0)).startsWith("0000000000").hasSize(26);
        assertThat(Ids.next(1)).startsWith("0000000001");
        assertThat(Ids.next(32)).startsWith("0000000010");
        assertThat(Ids.next(31L << 45)).startsWith("Z000000000");
        assertThat(Ids.next(1_893_456_000_000L)).matches("[0-9A-HJKMNP-TV-Z]{26}");
        assertThat(Ids.next(1_893_456_000_001L)).isGreaterThan(Ids.next(1_893_456_000_000L));
        List<String> sameTime = java.util.stream.IntStream.range(0, 40).mapToObj(i -> Ids.next(1_893_456_000_000L)).toList();
        assertThat(sameTime).doesNotHaveDuplicates();
        for (int position = 10; position < 26; position++) {
            int at = position;
            assertThat(sameTime.stream().map(id -> id.charAt(at)).distinct().count()).as("random character " + position).isGreaterThan(1);
        }
    }

    @Test
    void anIdIsTwentySixUpperCaseBase32CharactersAndNothingElse() {
        assertThat(Ids.isId(Ids.next(1_893_456_000_000L))).isTrue();
        assertThat(Ids.isId("0123456789ABCDEFGHJKMNPQRZ")).isTrue();
        assertThat(Ids.isId(null)).isFalse();
        assertThat(Ids.isId("0123456789ABCDEFGHJKMNPQR")).as("25 characters").isFalse();
        assertThat(Ids.isId("0123456789ABCDEFGHJKMNPQRSZ")).as("27 characters").isFalse();
        assertThat(Ids.isId("0123456789abcdefghjkmnpqrz")).as("lower case").isFalse();
        assertThat(Ids.isId("0123456789ABCDEFGHJKMNPQRI")).as("I is no Crockford digit").isFalse();
        assertThat(Ids.isId("bd-12345678901234567890123")).isFalse();
    }

    // ---------------------------------------------------------------- OrderedMap, errors

    @Test
    void orderedMapsKeepTheirKeysInOrderAndRefuseAKeyWithoutValue() {
        Map<String, Object> map = OrderedMap.of("z", 1, "a", null, "m", "x");
        assertThat(map).containsExactly(Map.entry("z", 1), new java.util.AbstractMap.SimpleEntry<>("a", null), Map.entry("m", "x"));
        map.put("b", 2); // event details are added to
        assertThat(map.keySet()).containsExactly("z", "a", "m", "b");
        assertThat(OrderedMap.of()).isEmpty();
        IllegalArgumentException odd = catchThrowableOfType(IllegalArgumentException.class, () -> OrderedMap.of("a", 1, "b"));
        assertThat(odd).hasMessageContaining("pairs");
    }

    @Test
    void everyErrorKindHasItsCodeAndExitCodeAndARateLimitSaysWhenToRetry() {
        assertThat(List.of(SwarmException.badInput("x"), SwarmException.denied("x"), SwarmException.unauthenticated("x"))
                .stream().map(e -> e.kind() + " " + e.code() + " " + e.kind().exitCode).toList())
                .containsExactly("BAD_INPUT bad_input 2", "DENIED denied 3", "UNAUTHENTICATED unauthenticated 4");
        SwarmException failed = new SwarmException(SwarmException.Kind.INTERNAL, "broke", new IllegalStateException("why"));
        assertThat(failed.code()).isEqualTo("internal");
        assertThat(failed.kind().exitCode).isEqualTo(1);
        assertThat(failed.getCause()).hasMessage("why");
        assertThat(SwarmException.Kind.UNAVAILABLE.code).isEqualTo("unavailable");

        RateLimitedException limited = new RateLimitedException("slow down", 1234);
        assertThat(limited.kind()).isEqualTo(SwarmException.Kind.DENIED);
        assertThat(limited.code()).isEqualTo("rate_limited");
        assertThat(limited.retryAfterMillis()).isEqualTo(1234);
        assertThat(limited).hasMessage("slow down");
    }
}
