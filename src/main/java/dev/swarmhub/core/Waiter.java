package dev.swarmhub.core;

/**
 * One resource of a queued acquire: agents wait in arrival order (the waiter id) per resource.
 * A waiter is alive while its client keeps polling ({@code seenAt}: its last poll) and its
 * deadline has not passed.
 */
public record Waiter(long id, String agent, Resource resource, Mode mode, long since, long seenAt) {
}
