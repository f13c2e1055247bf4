package dev.swarmhub.store;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.AgentStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** The agent rows in portable SQL. */
final class AgentSql implements AgentStore {

    private static final String AGENT_COLUMNS = "id, kind, status, label, pane, tmux_socket, pane_pid, pane_pid_started_at, pid, "
            + "pid_started_at, host, registered_at, last_seen, status_since, token_hash IS NOT NULL, session, activity, activity_since, progress_at";

    private final JdbcTx tx;

    AgentSql(JdbcTx tx) {
        this.tx = tx;
    }

    @Override
    public Optional<Agent> agent(String id) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE id = ?", id).stream().findFirst();
    }

    @Override
    public Optional<Agent> liveAgentOnPane(String host, String socket, String pane) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE host = ? AND tmux_socket = ? AND pane = ? AND status <> 'gone'",
                host, socket, pane).stream().findFirst();
    }

    @Override
    public Optional<Agent> lastAgentOfSession(String session) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE session = ? ORDER BY status <> 'gone' DESC, status_since DESC, id "
                + "LIMIT 1", session).stream().findFirst();
    }

    @Override
    public List<Agent> liveAgentsOfSession(String host, String session) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE session = ? AND host = ? AND status <> 'gone' ORDER BY id", session, host);
    }

    @Override
    public Optional<Agent> lastAgentOnPane(String host, String socket, String pane) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE host = ? AND tmux_socket = ? AND pane = ? "
                + "ORDER BY status <> 'gone' DESC, status_since DESC, id LIMIT 1", host, socket, pane).stream().findFirst();
    }

    @Override
    public List<Agent> liveAgentsInPanes(String host) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE host = ? AND status <> 'gone' AND pane IS NOT NULL "
                + "AND tmux_socket IS NOT NULL ORDER BY id", host);
    }

    @Override
    public List<Agent> liveAgentsOfProcess(String host, long pid) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE pid = ? AND host = ? AND status <> 'gone' ORDER BY id", pid, host);
    }

    @Override
    public List<String> idsStartingWith(String prefix) {
        return tx.idsStartingWith("agents", prefix, Integer.MAX_VALUE);
    }

    @Override
    public List<Agent> firstLive(int limit) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE status IN ('active', 'stale') ORDER BY id LIMIT ?", limit);
    }

    @Override
    public int liveCount() {
        return (int) tx.queryLong("SELECT COUNT(*) FROM agents WHERE status IN ('active', 'stale')");
    }

    @Override
    public boolean anyActive() {
        return !tx.query("SELECT 1 FROM agents WHERE status = 'active' LIMIT 1", row -> true).isEmpty();
    }

    @Override
    public List<Agent> agents(boolean includeGone) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents " + (includeGone ? "" : "WHERE status IN ('active', 'stale') ") + "ORDER BY id");
    }

    @Override
    public List<Agent> goneBefore(long time, int limit) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE status = 'gone' AND status_since < ? ORDER BY status_since, id LIMIT ?",
                time, limit);
    }

    @Override
    public List<Agent> sweepCandidates(long seenBefore, String host, long hubsSeenSince, String afterId, int limit) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE status <> 'gone' AND id > ? AND (host = ? OR last_seen <= ? "
                + "AND NOT EXISTS (SELECT 1 FROM hubs WHERE hubs.host = agents.host AND hubs.seen_at >= ?)) ORDER BY id LIMIT ?",
                afterId, host, seenBefore, hubsSeenSince, limit);
    }

    @Override
    public String sweptThrough() {
        return tx.query("SELECT after_id FROM agent_sweep", row -> row.getString(1)).get(0);
    }

    @Override
    public void sweptThrough(String id) {
        tx.update("UPDATE agent_sweep SET after_id = ?", id);
    }

    @Override
    public void hubSeen(String scope, String host) {
        tx.update("INSERT INTO hubs (scope, host, seen_at) VALUES (?, ?, ?) "
                + "ON CONFLICT (scope) DO UPDATE SET host = excluded.host, seen_at = excluded.seen_at", scope, host, tx.now());
    }

    @Override
    public void hubStopped(String scope) {
        tx.update("DELETE FROM hubs WHERE scope = ?", scope);
    }

    @Override
    public void saveAgent(Agent agent, String tokenHash) {
        tx.update("INSERT INTO agents (id, kind, status, label, pane, tmux_socket, pane_pid, pane_pid_started_at, pid, pid_started_at, host, "
                + "token_hash, registered_at, last_seen, status_since, session, activity, activity_since, progress_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, status = excluded.status, label = excluded.label, "
                + "pane = excluded.pane, tmux_socket = excluded.tmux_socket, pane_pid = excluded.pane_pid, "
                + "pane_pid_started_at = excluded.pane_pid_started_at, pid = excluded.pid, pid_started_at = excluded.pid_started_at, "
                + "host = excluded.host, token_hash = excluded.token_hash, registered_at = excluded.registered_at, "
                + "last_seen = excluded.last_seen, status_since = excluded.status_since, session = excluded.session, "
                + "activity = excluded.activity, activity_since = excluded.activity_since, progress_at = excluded.progress_at",
                agent.id(), agent.kind(), agent.status().label(), agent.label(), agent.pane(), agent.tmuxSocket(), agent.panePid(),
                agent.panePidStartedAt(), agent.pid(), agent.pidStartedAt(), agent.host(), tokenHash, agent.registeredAt(), agent.lastSeen(), agent.statusSince(),
                agent.session(), agent.activity() == null ? null : agent.activity().label(), agent.activitySince(), agent.progressAt());
    }

    @Override
    public Optional<Claimed> claimedAgent(String id) {
        return tx.query("SELECT " + AGENT_COLUMNS + ", token_hash FROM agents WHERE id = ? AND token_hash IS NOT NULL",
                row -> new Claimed(agent(row), row.getString(20)), id).stream().findFirst();
    }

    @Override
    public void setAgentToken(String id, String tokenHash) {
        tx.update("UPDATE agents SET token_hash = ? WHERE id = ?", tokenHash, id);
    }

    @Override
    public void setAgentHost(String id, String host) {
        tx.update("UPDATE agents SET host = ? WHERE id = ?", host, id);
    }

    @Override
    public void touchAgent(String id) {
        tx.update("UPDATE agents SET last_seen = ? WHERE id = ?", tx.now(), id);
    }

    @Override
    public void setAgentStatus(String id, Agent.Status status) {
        tx.update("UPDATE agents SET status = ?, status_since = ? WHERE id = ?", status.label(), tx.now(), id);
    }

    @Override
    public void setActivity(String id, Agent.Activity activity, long since, long progressAt) {
        tx.update("UPDATE agents SET activity = ?, activity_since = ?, progress_at = ? WHERE id = ?",
                activity == null ? null : activity.label(), since, progressAt, id);
    }

    @Override
    public List<Agent> workingWithoutProgressSince(long progressBefore) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE activity = 'working' AND progress_at <= ? AND status <> 'gone' ORDER BY id",
                progressBefore);
    }

    @Override
    public void deleteAgent(String id) {
        tx.update("DELETE FROM agents WHERE id = ?", id);
    }

    @Override
    public Optional<String> agentWithTokenHash(String tokenHash) {
        return tx.query("SELECT id FROM agents WHERE token_hash = ?", row -> row.getString(1), tokenHash).stream().findFirst();
    }

    private List<Agent> queryAgents(String sql, Object... args) {
        return tx.query(sql, AgentSql::agent, args);
    }

    /** An agent from a row that starts with {@link #AGENT_COLUMNS}. */
    private static Agent agent(ResultSet row) throws SQLException {
        return new Agent(row.getString(1), row.getString(2), Agent.Status.parse(row.getString(3)), row.getString(4), row.getString(5),
                row.getString(6), JdbcTx.nullableLong(row, 7), JdbcTx.nullableLong(row, 8), JdbcTx.nullableLong(row, 9), JdbcTx.nullableLong(row, 10),
                row.getString(11), row.getLong(12), row.getLong(13), row.getLong(14), row.getBoolean(15), row.getString(16),
                Agent.Activity.parse(row.getString(17)), row.getLong(18), row.getLong(19));
    }
}
