package dev.swarmhub.kernel;

/**
 * One process: its pid on {@code host} and its start time (epoch ms), which tells a reused pid
 * apart.
 */
public record ProcessIdentity(String host, long pid, long startedAt) {
}
