package dev.swarmhub.kernel;

/**
 * What an operation does to the swarm's state, as a client may rely on it before calling (MCP's
 * tool annotations are read from it): whether it only reads, whether a call may remove or
 * overwrite something (else it only adds), whether repeating a call with the same arguments
 * changes nothing more, and whether it reaches beyond the hub's own state. Records of the call
 * itself (events in the log, an agent's last-seen time, a message's delivery receipt) are not
 * counted as changes.
 */
public enum Effect {
    /** Changes nothing: lists, shows, searches, checks. */
    READ(true, false, true, false),
    /** Adds something new with each call: a message, a task, a section's appended lines. */
    ADD(false, false, false, false),
    /** Takes, extends or marks something; a repeated call changes nothing more (a lease re-acquired keeps its token). */
    SET(false, false, true, false),
    /** Ends, removes or overwrites something others may rely on; a repeated call changes nothing more. */
    REMOVE(false, true, true, false),
    /** May add again or overwrite, per its arguments (append or set; progress or release): the cautious hints. */
    MIXED(false, true, false, false),
    /** Starts a process that then acts on its own, beyond the hub (an agent: its model, files, network); each call starts another. */
    LAUNCH(false, false, false, true);

    public final boolean readOnly;
    public final boolean destructive;
    public final boolean idempotent;
    public final boolean openWorld;

    Effect(boolean readOnly, boolean destructive, boolean idempotent, boolean openWorld) {
        this.readOnly = readOnly;
        this.destructive = destructive;
        this.idempotent = idempotent;
        this.openWorld = openWorld;
    }
}
