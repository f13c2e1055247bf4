package dev.swarmhub.messages;

import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.RateLimitedException;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tx;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * At most {@code count} recipients per {@code window}, per sender (a broadcast to N counts N),
 * counted in the sending transaction, so it holds across processes and hubs.
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

    /** Refuses (with the wait until a slot frees) a message to {@code recipients} that would exceed the limit; {@code setting}: its name, for the error. */
    void check(Tx tx, String sender, int recipients, String setting) {
        long windowMs = window.toMillis();
        if (recipients > count) {
            throw new RateLimitedException("a message to " + recipients + " recipients exceeds the limit of " + text()
                    + " per sender (setting " + setting + ")", windowMs);
        }
        List<long[]> sent = MessageStore.in(tx).sentAfter(sender, tx.now() - windowMs);
        long used = sent.stream().mapToLong(entry -> entry[1]).sum();
        long excess = used + recipients - count;
        if (excess <= 0) {
            return;
        }
        long freed = 0;
        for (long[] entry : sent) {
            freed += entry[1];
            if (freed >= excess) {
                long waitMs = Math.max(1, entry[0] + windowMs - tx.now());
                throw new RateLimitedException(sender + " sent to " + used + " recipients in the last " + Durations.format(window)
                        + " (limit " + text() + "); a slot frees in " + Durations.format(Duration.ofSeconds((waitMs + 999) / 1000)), waitMs);
            }
        }
        throw new IllegalStateException("rate limit arithmetic");
    }
}
