package dev.swarmhub.leases;

/**
 * A lease as stored. Times are store-clock milliseconds since the epoch. The fencing token is
 * fixed for the life of the lease (renewals keep it) and larger than any token granted before.
 */
public record Lease(long id, Resource resource, Mode mode, String agent, long token, String reason,
                    long acquiredAt, long expiresAt) {

    public boolean liveAt(long now) {
        return expiresAt > now;
    }
}
