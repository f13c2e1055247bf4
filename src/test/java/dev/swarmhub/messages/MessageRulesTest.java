package dev.swarmhub.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.swarmhub.kernel.SwarmException;
import java.time.Duration;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** The message rules that need no store: text, the typed pane line, search words, types, rate limits, drafts and operation arguments. */
class MessageRulesTest {

    private static final java.util.function.UnaryOperator<String> READ_ALL = id -> "swarm read " + id;

    @Test
    void textKeepsNewlinesAndTabsAndMayFillExactlyTheLimitInUtf8Bytes() {
        assertThat(MessageText.clean("a\tb\nc\u0007", 100)).isEqualTo("a\tb\nc");
        assertThat(MessageText.clean("é".repeat(5), 10)).as("10 bytes").isEqualTo("ééééé");
        assertThat(badInput(() -> MessageText.clean("é".repeat(5) + "x", 10)))
                .isEqualTo("the message text is 11 bytes; at most 10 (setting messages.max-text-bytes)");
        assertThat(badInput(() -> MessageText.clean(null, 10))).isEqualTo("no message text given");
        assertThat(badInput(() -> MessageText.clean(" \n\t", 10))).isEqualTo("the message text is empty");
    }

    @Test
    void thePaneLineIsOneLineNamingSenderTypeAndIdAndLongTextIsCutPointingToTheWholeMessage() {
        Message message = message("line one\r\nline\ttwo");
        assertThat(MessageText.paneLine(message, READ_ALL)).isEqualTo("[swarm] agent-1 REVIEW-REQUEST 01ID: line one ⏎ line two");
        assertThat(MessageText.paneLine(message("x".repeat(2000)), READ_ALL)).isEqualTo("[swarm] agent-1 REVIEW-REQUEST 01ID: " + "x".repeat(2000));
        assertThat(MessageText.paneLine(message("x".repeat(2001)), READ_ALL))
                .isEqualTo("[swarm] agent-1 REVIEW-REQUEST 01ID: " + "x".repeat(2000) + "… (swarm read 01ID)");
    }

    @Test
    void searchWordsAreSplitAtWhiteSpaceAndATrailingStarMakesAPrefix() {
        assertThat(SearchWords.parse("  jwt   refresh*\tfoo-bar * ").words()).containsExactly(new SearchWords.Word("jwt", false),
                new SearchWords.Word("refresh", true), new SearchWords.Word("foo-bar", false), new SearchWords.Word("*", false));
        assertThat(badInput(() -> SearchWords.parse(" "))).isEqualTo("empty search query");
        assertThat(badInput(() -> SearchWords.parse(null))).isEqualTo("empty search query");
        assertThat(badInput(() -> SearchWords.parse("ab\u0000c")))
                .isEqualTo("the search query has a control character (U+0000) at position 3: search for words only");
    }

    @Test
    void typesParseAsWrittenButAgentsCannotSendEscalations() {
        assertThat(MessageType.names()).containsExactly("QUESTION", "REVIEW-REQUEST", "BLOCKED", "COMPLETED", "CHALLENGE", "INFO", "ACK");
        assertThat(MessageType.parse(" blocked ")).isEqualTo(MessageType.BLOCKED);
        assertThat(badInput(() -> MessageType.parse(null))).startsWith("unknown message type 'null': use QUESTION, REVIEW-REQUEST,");
        assertThat(MessageType.stored("REVIEW-REQUEST")).isEqualTo(MessageType.REVIEW_REQUEST);
        assertThat(MessageType.stored("ESCALATION")).isEqualTo(MessageType.ESCALATION);
        assertThat(List.of(MessageType.values())).filteredOn(MessageType::needsAckByDefault).containsExactly(MessageType.BLOCKED);
    }

    @Test
    void aRateLimitIsCountPerWindowOfAtLeastOneSecond() {
        RateLimit limit = RateLimit.parse(" 20 / 90s ");
        assertThat(limit).isEqualTo(new RateLimit(20, Duration.ofSeconds(90)));
        assertThat(limit.text()).isEqualTo("20/90s");
        assertThat(RateLimit.parse("1/1s").text()).isEqualTo("1/1s");
        assertThat(badInput(() -> RateLimit.parse("0/60s"))).isEqualTo("bad rate limit '0/60s': need at least 1 message per 1s or more");
        assertThat(badInput(() -> RateLimit.parse("5/999ms"))).startsWith("bad rate limit '5/999ms': need at least");
        assertThat(badInput(() -> RateLimit.parse("ten per minute"))).isEqualTo("bad rate limit 'ten per minute': use COUNT/DURATION, e.g. 10/60s");
        assertThat(badInput(() -> RateLimit.parse(null))).startsWith("bad rate limit 'null'");
    }

    @Test
    void aDraftNeedsATypeAndItsPriorityIsNormalOrUrgent() {
        assertThat(new Messages.Draft(MessageType.INFO, "x", null, null, null).priority()).isEqualTo("normal");
        assertThat(new Messages.Draft(MessageType.INFO, "x", " URGENT ", null, null).priority()).isEqualTo("urgent");
        assertThat(badInput(() -> new Messages.Draft(MessageType.INFO, "x", "asap", null, null))).isEqualTo("unknown priority 'asap': use normal or urgent");
        assertThat(badInput(() -> new Messages.Draft(null, "x", null, null, null))).isEqualTo("no message type given");
    }

    @Test
    void operationArgumentsApplyTheirDefaults() {
        assertThat(badInput(() -> new MessageOperations.Send(List.of(), MessageType.INFO, "x", null, null, null)))
                .isEqualTo("'to' is empty: name the recipient agents");
        Messages.Draft draft = new MessageOperations.Send(List.of("b"), MessageType.QUESTION, "why?", MessagePriority.URGENT, true, "01THREAD").draft();
        assertThat(draft).isEqualTo(new Messages.Draft(MessageType.QUESTION, "why?", "urgent", true, "01THREAD"));
        assertThat(new MessageOperations.Reply("01ID", "ok", null, null, null).type()).isEqualTo(MessageType.INFO);
        assertThat(new MessageOperations.Reply("01ID", "ok", MessageType.ACK, null, null).type()).isEqualTo(MessageType.ACK);
        assertThat(new MessageOperations.Search("q", null).limit()).isEqualTo(20);
        assertThat(new MessageOperations.Search("q", 5).limit()).isEqualTo(5);
    }

    @Test
    void aRecipientsDeliveryNamesWhatBecameOfItsTyping() {
        assertThat(List.of("inbox", "queued", "typed", "failed: no pane").stream().toList()).containsExactly(
                recipient(null).delivery(), recipient("pending").delivery(), recipient("delivered").delivery(), recipient("failed: no pane").delivery());
        Message message = message("hi");
        assertThat(message.recipient("agent-2")).isNotNull();
        assertThat(message.recipient("agent-9")).isNull();
        assertThat(message.withoutText().text()).isNull();
        assertThat(message.withoutText().id()).isEqualTo("01ID");
    }

    @Test
    void aSignatureIsTheStoredFormatItsVersionNamesSoStoredMessagesKeepVerifying() throws Exception {
        byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Message message = new Message("01ID", "agent-1", MessageType.BLOCKED, "urgent", "01ID", null, "help", true, 42, null,
                List.of(recipient(null)));
        // v2: id, sender, time, type, sorted recipients, thread, reply-to, priority, ack-required (1/0), text; each length:value; a missing one -
        String canonical = "4:01ID;7:agent-1;2:42;7:BLOCKED;7:agent-2;4:01ID;-;6:urgent;1:1;4:help;";
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
        String expected = "v2:" + java.util.HexFormat.of().formatHex(mac.doFinal(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(new MessageSignature(secret).sign(message)).isEqualTo(expected);
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> new MessageSignature(new byte[31]))).hasMessageContaining("32 bytes");
    }

    private static Message.Recipient recipient(String pane) {
        return new Message.Recipient("agent-2", 0, null, null, null, 1, null, false, pane);
    }

    private static Message message(String text) {
        return new Message("01ID", "agent-1", MessageType.REVIEW_REQUEST, "normal", "01ID", null, text, false, 0, null,
                List.of(recipient(null)));
    }

    private static String badInput(ThrowingCallable call) {
        SwarmException refused = catchThrowableOfType(SwarmException.class, call);
        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.kind()).as(refused.getMessage()).isEqualTo(SwarmException.Kind.BAD_INPUT);
        return refused.getMessage();
    }
}
