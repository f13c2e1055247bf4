package dev.swarmhub.kernel;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * Housekeeping a domain needs done every second while a hub runs (expired leases, message
 * retries): each domain declares its own, and the hub's timer runs them all.
 */
public record Sweep(String name, Runnable work) {

    /** Runs every sweep in order; one that fails is reported and stops no other. */
    public static void runAll(List<Sweep> sweeps, BiConsumer<Sweep, RuntimeException> failed) {
        for (Sweep sweep : sweeps) {
            try {
                sweep.work.run();
            } catch (RuntimeException e) {
                failed.accept(sweep, e);
            }
        }
    }
}
