package dev.swarmhub.testing;

import dev.swarmhub.kernel.SwarmException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What a fuzz target (a {@code *FuzzTest}, run by Jazzer) allows a call to end in: its answer, or
 * the documented refusal of bad input. Anything else (another exception, another kind of
 * refusal) fails the target, and Jazzer keeps the input that did it.
 */
public final class Fuzzing {

    private Fuzzing() {
    }

    /** The fuzzer's bytes as text, as a client would send them (malformed UTF-8 becomes U+FFFD). */
    public static String text(byte[] input) {
        return new String(input, StandardCharsets.UTF_8);
    }

    /** The call's answer, or empty when it refused the input as bad; any other failure is thrown on. */
    public static <T> Optional<T> answerOrBadInput(Supplier<T> call) {
        try {
            return Optional.of(call.get());
        } catch (SwarmException refused) {
            if (refused.kind() != SwarmException.Kind.BAD_INPUT) {
                throw new AssertionError("refused as " + refused.kind() + ", not as bad input: " + refused.getMessage(), refused);
            }
            if (refused.getMessage() == null || refused.getMessage().isBlank()) {
                throw new AssertionError("a refusal that does not say what was wrong", refused);
            }
            return Optional.empty();
        }
    }
}
