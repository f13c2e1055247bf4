package dev.swarmhub.messages;

import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * At most {@code count} messages per {@code window}, per sender, counted in the sending
 * transaction, so it holds across processes and hubs. A message counts once however many hear
 * it: the limit restrains how often an agent speaks (a runaway loop), and a broadcast to a swarm
 * of 30 must pass; how far one message reaches is bounded by {@link Messages#MAX_RECIPIENTS}.
 */
public record RateLimit(int count, Duration window) {

    private static final Pattern TEXT = Pattern.compile("(\\d{1,6})\\s*/\\s*(\\S+)");

    public static RateLimit parse(String text) {
        Matcher matcher = TEXT.matcher(text == null ? "" : text.strip());
        if (!matcher.matches()) {
            throw SwarmException.badInput("bad rate limit '" + text + "': use COUNT/DURATION, e.g. 10/60s");
        }
        int count = Integer.parseInt(matcher.group(1));
        Duration window = Durations.parse(matcher.group(2));
        if (count < 1 || window.toMillis() < 1000) {
            throw SwarmException.badInput("bad rate limit '" + text + "': need at least 1 message per 1s or more");
        }
        return new RateLimit(count, window);
    }

    public String text() {
        return count + "/" + Durations.format(window);
    }

    /** Refuses (with the wait until a slot frees) a message that would exceed the limit; {@code setting}: its name, for the error. */
    void check(Tx tx, String sender, String setting) {
        long windowMs = window.toMillis();
        // the oldest message whose leaving the window makes room for this one: none when there is room now
        Optional<Long> blocking = MessageStore.in(tx).nthNewestSentAfter(sender, tx.now() - windowMs, count);
        if (blocking.isEmpty()) {
            return;
        }
        long waitMs = Math.max(1, blocking.get() + windowMs - tx.now());
        throw new RateLimitedException(sender + " sent " + count + " messages in the last " + Durations.format(window)
                + " (limit " + text() + ", setting " + setting + "); a slot frees in "
                + Durations.format(Duration.ofSeconds((waitMs + 999) / 1000)), waitMs);
    }
}
