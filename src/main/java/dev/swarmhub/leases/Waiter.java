package dev.swarmhub.leases;

import dev.swarmhub.kernel.ProcessIdentity;

/**
 * One resource of a queued acquire: agents wait in arrival order (the waiter id) per resource.
 * A waiter is alive until its {@code deadline} while its client keeps polling ({@code seenAt}:
 * its last poll) or while the process that serves its wait ({@code servedBy}, null when unknown)
 * runs on this host.
 */
public record Waiter(long id, String agent, Resource resource, Mode mode, long since, long seenAt, long deadline,
                     ProcessIdentity servedBy) {
}
