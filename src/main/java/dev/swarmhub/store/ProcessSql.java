package dev.swarmhub.store;

import dev.swarmhub.processes.ProcessStore;
import dev.swarmhub.processes.Run;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.type.TypeReference;

/** The run rows in portable SQL; the command and environment as JSON. */
final class ProcessSql implements ProcessStore {

    private static final String COLUMNS = "id, agent, name, kind, task, parent, depth, state, host, command, environment, cwd, worktree, tmux, "
            + "max_cost_usd, pid, pid_started_at, pane, queued_at, started_at, ended_at, exit_code, end_reason, stop_at, stop_signal, "
            + "stop_grace_ms, stop_by, stop_reason, output_bytes, output_at, input_tokens, output_tokens, cost_usd, outcome, last_step, hub_scope";
    private static final String LIVE = "state IN ('starting', 'running')";
    private static final TypeReference<List<String>> COMMAND = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, String>> ENVIRONMENT = new TypeReference<>() {
    };

    private final JdbcTx tx;

    ProcessSql(JdbcTx tx) {
        this.tx = tx;
    }

    @Override
    public void insertRun(Run run) {
        Run.Spec spec = run.spec();
        tx.update("INSERT INTO processes (id, agent, name, kind, task, parent, depth, state, host, hub_scope, command, environment, cwd, worktree, "
                + "tmux, max_cost_usd, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run.id(), run.agent(),
                spec.name() == null ? "" : spec.name(), spec.kind().label(), spec.task(), run.parent(), run.depth(), run.state().label(), run.host(),
                run.hubScope(), JdbcTx.JSON.writeValueAsString(spec.command()), JdbcTx.JSON.writeValueAsString(spec.environment()), spec.cwd(),
                spec.worktree() ? 1 : 0, spec.tmux() ? 1 : 0, spec.maxCostUsd(), run.queuedAt());
    }

    @Override
    public Optional<Run> run(String id) {
        return query("WHERE id = ?", id).stream().findFirst();
    }

    @Override
    public List<String> runIdsStartingWith(String prefix, int limit) {
        return tx.idsStartingWith("processes", prefix, limit);
    }

    @Override
    public Optional<Run> latestRunOf(String agent) {
        return query("WHERE agent = ? ORDER BY queued_at DESC, " + tx.dialect().insertionOrder("processes") + " DESC LIMIT 1", agent)
                .stream().findFirst();
    }

    @Override
    public Optional<Run> latestRunOf(String agent, long queuedAt) {
        return query("WHERE agent = ? AND queued_at <= ? ORDER BY queued_at DESC, " + tx.dialect().insertionOrder("processes") + " DESC LIMIT 1",
                agent, queuedAt).stream().findFirst();
    }

    @Override
    public void moveUnfinished(String from, String to) {
        tx.update("UPDATE processes SET host = ? WHERE host = ? AND state IN ('queued', 'starting', 'running')", to, from);
    }

    @Override
    public List<Run> runs(Filter filter, int limit) {
        List<Object> args = new ArrayList<>();
        StringBuilder where = new StringBuilder("WHERE 1 = 1");
        if (!filter.finishedToo()) {
            where.append(" AND state IN ('queued', 'starting', 'running')");
        }
        for (Map.Entry<String, String> column : List.of(Map.entry("task", nullable(filter.task())), Map.entry("parent", nullable(filter.parent())))) {
            if (!column.getValue().isEmpty()) {
                where.append(" AND ").append(column.getKey()).append(" = ?");
                args.add(column.getValue());
            }
        }
        if (filter.supervisor() != null) {
            where.append(" AND ").append(ofHub("processes"));
            args.add(filter.supervisor().host());
            args.add(filter.supervisor().hubScope());
        }
        args.add(limit);
        return query(where + " ORDER BY queued_at DESC, " + tx.dialect().insertionOrder("processes") + " DESC LIMIT ?", args.toArray());
    }

    private static String nullable(String value) {
        return value == null ? "" : value;
    }

    @Override
    public List<Run> unfinishedChildrenOf(Collection<String> parents) {
        if (parents.isEmpty()) {
            return List.of();
        }
        return query("WHERE parent IN (" + JdbcTx.placeholders(parents.size()) + ") AND state IN ('queued', 'starting', 'running') "
                + "ORDER BY queued_at", parents.toArray());
    }

    @Override
    public Optional<Run> oldestQueued(Supervisor supervisor) {
        return query("WHERE state = 'queued' AND " + ofHub("processes") + " ORDER BY queued_at, " + tx.dialect().insertionOrder("processes")
                + " LIMIT 1", supervisor.host(), supervisor.hubScope()).stream().findFirst();
    }

    @Override
    public long queuedBefore(Run run) {
        // the order oldestQueued starts them in: queue time, then insertion order (ids of one millisecond are in random order)
        return tx.queryLong("SELECT count(*) FROM processes q WHERE q.state = 'queued' AND " + ofHub("q") + " AND (q.queued_at < ? OR "
                + "q.queued_at = ? AND " + tx.dialect().insertionOrder("q") + " < (SELECT " + tx.dialect().insertionOrder("p")
                + " FROM processes p WHERE p.id = ?))", run.host(), run.hubScope(), run.queuedAt(), run.queuedAt(), run.id());
    }

    /** A hub's runs in the table (its host, its scope): those spawned through it, and those from before runs had a hub. */
    private static String ofHub(String table) {
        return table + ".host = ? AND (" + table + ".hub_scope = ? OR " + table + ".hub_scope IS NULL)";
    }

    @Override
    public long countLive() {
        return tx.queryLong("SELECT count(*) FROM processes WHERE " + LIVE);
    }

    @Override
    public long countQueued() {
        return tx.queryLong("SELECT count(*) FROM processes WHERE state = 'queued'");
    }

    @Override
    public boolean markStarting(String id) {
        return tx.update("UPDATE processes SET state = 'starting' WHERE id = ? AND state = 'queued'", id) == 1;
    }

    @Override
    public void takeFromBefore(String id, String hubScope) {
        tx.update("UPDATE processes SET hub_scope = ? WHERE id = ? AND hub_scope IS NULL", hubScope, id);
    }

    @Override
    public boolean markRunning(String id, long pid, long pidStartedAt, String cwd, String pane, long at) {
        return tx.update("UPDATE processes SET state = 'running', pid = ?, pid_started_at = ?, cwd = ?, pane = ?, started_at = ? "
                + "WHERE id = ? AND state = 'starting'", pid, pidStartedAt, cwd, pane, at, id) == 1;
    }

    @Override
    public boolean markEnded(String id, Collection<Run.State> from, Run.State to, long at, Integer exitCode, String reason) {
        List<Object> args = new ArrayList<>(List.of(to.label(), at));
        args.add(exitCode);
        args.add(reason);
        args.add(id);
        from.forEach(state -> args.add(state.label()));
        return tx.update("UPDATE processes SET state = ?, ended_at = ?, exit_code = ?, end_reason = ? WHERE id = ? AND state IN ("
                + JdbcTx.placeholders(from.size()) + ")", args.toArray()) == 1;
    }

    @Override
    public boolean requestStop(String id, Run.StopRequest stop) {
        long killAt = stop.signal().equals("KILL") ? stop.at() : stop.at() + stop.graceMs();
        return tx.update("UPDATE processes SET stop_at = ?, stop_signal = ?, stop_grace_ms = ?, stop_by = ?, stop_reason = ? "
                + "WHERE id = ? AND " + LIVE + " AND (stop_at IS NULL OR ? < CASE WHEN stop_signal = 'KILL' THEN stop_at "
                + "ELSE stop_at + stop_grace_ms END)", stop.at(), stop.signal(), stop.graceMs(), stop.by(), stop.reason(), id, killAt) == 1;
    }

    @Override
    public void updateOutput(String id, long bytes, Long at, Run.Usage usage) {
        tx.update("UPDATE processes SET output_bytes = ?, output_at = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, outcome = ?, "
                + "last_step = ? WHERE id = ?", bytes, at, usage.inputTokens(), usage.outputTokens(), usage.costUsd(), usage.outcome(),
                usage.lastStep(), id);
    }

    @Override
    public List<Count> countByTask() {
        return counts("task");
    }

    @Override
    public List<Count> countByParent() {
        return counts("parent");
    }

    /** Live and queued runs per value of the column (task or parent), those with none left out. */
    private List<Count> counts(String column) {
        return tx.query("SELECT " + column + ", sum(CASE WHEN " + LIVE + " THEN 1 ELSE 0 END), sum(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) "
                + "FROM processes WHERE " + column + " IS NOT NULL AND state IN ('queued', 'starting', 'running') GROUP BY " + column
                + " ORDER BY " + column, row -> new Count(row.getString(1), row.getLong(2), row.getLong(3)));
    }

    @Override
    public long lastEventId() {
        return tx.queryLong("SELECT coalesce(max(id), 0) FROM events");
    }

    private List<Run> query(String where, Object... args) {
        return tx.query("SELECT " + COLUMNS + " FROM processes " + where, ProcessSql::run, args);
    }

    private static Run run(ResultSet row) throws SQLException {
        String name = row.getString(3);
        Run.Spec spec = new Run.Spec(name.isEmpty() ? null : name, Run.Kind.parse(row.getString(4)), row.getString(5),
                JdbcTx.JSON.readValue(row.getString(10), COMMAND), JdbcTx.JSON.readValue(row.getString(11), ENVIRONMENT), row.getString(12),
                row.getInt(13) == 1, row.getInt(14) == 1, nullableDouble(row, 15));
        Long stopAt = JdbcTx.nullableLong(row, 24);
        Run.StopRequest stop = stopAt == null ? null : new Run.StopRequest(stopAt, row.getString(25), row.getLong(26), row.getString(27),
                row.getString(28));
        Integer exit = JdbcTx.nullableLong(row, 22) == null ? null : row.getInt(22);
        return new Run(row.getString(1), row.getString(2), spec, row.getString(6), row.getInt(7), Run.State.parse(row.getString(8)),
                row.getString(9), row.getString(36), JdbcTx.nullableLong(row, 16), JdbcTx.nullableLong(row, 17), row.getString(18), row.getLong(19),
                JdbcTx.nullableLong(row, 20), JdbcTx.nullableLong(row, 21), exit, row.getString(23), stop, row.getLong(29),
                JdbcTx.nullableLong(row, 30), new Run.Usage(JdbcTx.nullableLong(row, 31), JdbcTx.nullableLong(row, 32), nullableDouble(row, 33),
                row.getString(34), row.getString(35)));
    }

    private static Double nullableDouble(ResultSet row, int column) throws SQLException {
        double value = row.getDouble(column);
        return row.wasNull() ? null : value;
    }
}
