package dev.swarmhub.processes;

import dev.swarmhub.kernel.SwarmException;

/**
 * What the hub of this host does for the processes domain: the rows say what is due (a run to
 * start, a process to stop), the hub does it and records what happened.
 */
public interface ProcessControl {

    /** This machine's name: a run is started, watched and stopped by the hub of its host. */
    String host();

    /**
     * The spec as it runs here: its working directory resolved (none: the project root; a
     * relative one: from it); refused, naming it, when the program is not found or the
     * directory is not one.
     */
    Run.Spec prepare(Run.Spec spec);

    /** Something may be due on this host now: a queued run to start, a process to stop. */
    void wake();

    /** No hub in this process: runs may be listed and asked to stop (the hub of their host stops them), not spawned. */
    ProcessControl NONE = new ProcessControl() {
        @Override
        public String host() {
            throw SwarmException.denied("spawning needs the hub: start it with swarm up (or drop --no-hub)");
        }

        @Override
        public Run.Spec prepare(Run.Spec spec) {
            host();
            return spec;
        }

        @Override
        public void wake() {
            // the hub of the run's host sees a stop request within a second
        }
    };
}
