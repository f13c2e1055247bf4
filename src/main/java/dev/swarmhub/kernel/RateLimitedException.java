package dev.swarmhub.kernel;

/** A send over the sender's rate limit: denied, with the time until enough slots free (HTTP 429). */
public final class RateLimitedException extends SwarmException {

    private final long retryAfterMillis;

    public RateLimitedException(String message, long retryAfterMillis) {
        super(Kind.DENIED, message);
        this.retryAfterMillis = retryAfterMillis;
    }

    public long retryAfterMillis() {
        return retryAfterMillis;
    }

    @Override
    public String code() {
        return "rate_limited";
    }
}
