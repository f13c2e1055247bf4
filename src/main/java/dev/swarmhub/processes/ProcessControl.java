package dev.swarmhub.processes;

import dev.swarmhub.kernel.SwarmException;

/**
 * What the hub of this checkout does for the processes domain: the rows say what is due (a run to
 * start, a process to stop), the hub does it and records what happened.
 */
public interface ProcessControl {

    /** This machine's name: the host a run spawned through this hub runs on. */
    String host();

    /**
     * This hub's scope among the hubs sharing the store (its host and checkout): a run is started,
     * watched and stopped by the hub it was spawned through, so that it runs in that checkout (its
     * SWARM_ROOT, its output file), whichever other hubs serve the same host.
     */
    String hubScope();

    /**
     * The spec as it runs here: its working directory resolved (none: the project root; a
     * relative one: from it); refused, naming it, when the program is not found or the
     * directory is not one.
     */
    Run.Spec prepare(Run.Spec spec);

    /** Something may be due for this hub now: a queued run to start, a process to stop. */
    void wake();

    /** No hub in this process: runs may be listed and asked to stop (their hub stops them), not spawned. */
    ProcessControl NONE = new ProcessControl() {
        @Override
        public String host() {
            throw SwarmException.denied("spawning needs the hub: start it with swarm up (or drop --no-hub)");
        }

        @Override
        public String hubScope() {
            return host(); // refused, as spawning is
        }

        @Override
        public Run.Spec prepare(Run.Spec spec) {
            host();
            return spec;
        }

        @Override
        public void wake() {
            // the run's hub sees a stop request within a second
        }
    };
}
