package dev.swarmhub.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Message text, fuzzed: what is stored, and the line typed into a recipient's pane (seeds: MessageTextFuzzTestInputs). */
class MessageTextFuzzTest {

    /**
     * The first byte chooses the size limit (1 to 256 bytes, or the default when zero), the rest is
     * the text: it is stored cleaned or refused as bad input. A stored text is within the limit, has
     * no character that could drive or disguise a terminal, and is clean already; its pane line is
     * one line of whole characters.
     */
    @FuzzTest
    void aTextIsStoredCleanOrRefusedAsBadInput(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int maxBytes = input[0] == 0 ? MessageText.DEFAULT_MAX_BYTES : Byte.toUnsignedInt(input[0]);
        String text = Fuzzing.text(Arrays.copyOfRange(input, 1, input.length));
        Fuzzing.answerOrBadInput(() -> MessageText.clean(text, maxBytes)).ifPresent(stored -> {
            assertThat(stored.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(maxBytes);
            assertThat(stored).isNotBlank();
            assertThat(stored.codePoints()).noneMatch(c -> c != '\n' && c != '\t' && (Character.isISOControl(c) || Limits.hides(c)));
            assertThat(MessageText.clean(stored, maxBytes)).as("cleaned again").isEqualTo(stored);
            String line = MessageText.paneLine(message(stored), id -> "swarm message show " + id);
            assertThat(line.codePoints()).as("the pane line").noneMatch(c -> Character.isISOControl(c) || Limits.hides(c)
                    || Character.getType(c) == Character.SURROGATE);
        });
    }

    private static Message message(String text) {
        return new Message("01ID", "agent-1", MessageType.INFO, "normal", "01ID", null, text, false, 0, null,
                List.of(new Message.Recipient("agent-2", 0, null, null, null, 0, null, false, null)));
    }
}
