package dev.swarmhub.processes;

import dev.swarmhub.kernel.Tx;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The run rows of a transaction ({@link Tx#part}). Every change of state is one conditional
 * update that says whether it happened, so that two writers racing to end one run (its exit and a
 * kill, or two hubs) end it once.
 */
public interface ProcessStore {

    static ProcessStore in(Tx tx) {
        return tx.part(ProcessStore.class);
    }

    /** Runs not finished that were recorded on host {@code from} are on host {@code to}. */
    void moveUnfinished(String from, String to);

    void insertRun(Run run);

    Optional<Run> run(String id);

    /** Run ids starting with the prefix, at most {@code limit}. */
    List<String> runIdsStartingWith(String prefix, int limit);

    /** The agent's latest run. */
    Optional<Run> latestRunOf(String agent);

    /** The agent's latest run queued at or before {@code queuedAt} (an id is taken again once its agent is gone). */
    Optional<Run> latestRunOf(String agent, long queuedAt);

    /**
     * Runs, newest first: of a task, of a parent, of a hub (null: any); finished ones only with
     * {@code finishedToo}.
     */
    List<Run> runs(Filter filter, int limit);

    record Filter(String task, String parent, Supervisor supervisor, boolean finishedToo) {
        public static final Filter LIVE = new Filter(null, null, null, false);
    }

    /**
     * A hub as the rows know it: its host and its scope. Its runs are those spawned through it and
     * those from before any run had a hub ({@code hub_scope} null) on its host.
     */
    record Supervisor(String host, String hubScope) {
        public static Supervisor of(ProcessControl hub) {
            return new Supervisor(hub.host(), hub.hubScope());
        }
    }

    /** Unfinished runs spawned by any of these agents. */
    List<Run> unfinishedChildrenOf(Collection<String> parents);

    /** The hub's oldest queued run (FIFO: queue time, then insertion order). */
    Optional<Run> oldestQueued(Supervisor supervisor);

    /** How many runs its hub starts before this one. */
    long queuedBefore(Run run);

    /** Runs starting or running: what {@code processes.max} limits. */
    long countLive();

    /** Queued → starting; whether it moved. */
    boolean markStarting(String id);

    /** A run from before (of no hub yet) becomes this hub's, which alone supervises it from now on. */
    void takeFromBefore(String id, String hubScope);

    /** Starting → running, with its process, working directory and pane; whether it moved. */
    boolean markRunning(String id, long pid, long pidStartedAt, String cwd, String pane, long at);

    /** From one of {@code from} to the final {@code to}: whether it moved (a run ends once). */
    boolean markEnded(String id, Collection<Run.State> from, Run.State to, long at, Integer exitCode, String reason);

    /**
     * Records the stop request unless the run is finished or has one that kills it as soon (KILL
     * at once, TERM then KILL after the grace): a later request may only hasten the end. Whether it did.
     */
    boolean requestStop(String id, Run.StopRequest stop);

    /** Output size and time, and what the output reported. */
    void updateOutput(String id, long bytes, Long at, Run.Usage usage);

    /** Live runs (starting, running) per task or per parent; queued ones apart. */
    List<Count> countByTask();

    List<Count> countByParent();

    record Count(String key, long live, long queued) {
    }

    long countQueued();

    long lastEventId();
}
