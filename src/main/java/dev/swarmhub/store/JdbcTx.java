package dev.swarmhub.store;

import dev.swarmhub.agents.AgentStore;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.logins.LoginStore;
import dev.swarmhub.messages.MessageStore;
import dev.swarmhub.plan.PlanStore;
import dev.swarmhub.processes.ProcessStore;
import dev.swarmhub.tasks.TaskStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * One transaction in portable SQL (SQLite and PostgreSQL both run it; what differs is in the
 * {@link Dialect}): the clock, the event log, settings, stored answers, the query helpers, and
 * each domain's part ({@link LeaseSql}, {@link AgentSql}, {@link MessageSql}). The caller has
 * already begun the transaction on the connection and read the store clock.
 */
final class JdbcTx implements Tx {


    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Object>> DETAILS = new TypeReference<>() {
    };

    private final Statements statements;
    private final Dialect dialect;
    private final long now;
    /** What this transaction did that waiters should look at again after commit: from its events ({@link Signals#raisedBy}). */
    private final EnumSet<Store.Signal> raised = EnumSet.noneOf(Store.Signal.class);
    private final List<OutsideEffect> outsideEffects = new ArrayList<>();

    /** Each domain's part of a transaction: the domain's interface and the SQL for it. */
    private static final Map<Class<?>, Function<JdbcTx, ?>> PARTS = Map.of(LeaseStore.class, LeaseSql::new,
            AgentStore.class, AgentSql::new, MessageStore.class, MessageSql::new, TaskStore.class, TaskSql::new,
            ProcessStore.class, ProcessSql::new, PlanStore.class, PlanSql::new, LoginStore.class, LoginSql::new);
    private final Map<Class<?>, Object> parts = new HashMap<>();
    /** Every stored setting, read once at this transaction's first look: an acquire reads four of them. */
    private Map<String, String> settings;

    JdbcTx(Statements statements, Dialect dialect, long now) {
        this.statements = statements;
        this.dialect = dialect;
        this.now = now;
    }

    @Override
    public <T> T part(Class<T> domainPart) {
        Function<JdbcTx, ?> maker = PARTS.get(domainPart);
        if (maker == null) {
            throw new IllegalArgumentException("this store has no part " + domainPart.getName());
        }
        return domainPart.cast(parts.computeIfAbsent(domainPart, type -> maker.apply(this)));
    }

    @Override
    public long now() {
        return now;
    }

    /** What differs in this database's SQL. */
    Dialect dialect() {
        return dialect;
    }

    Set<Store.Signal> raised() {
        return raised;
    }

    @Override
    public void enlist(OutsideEffect effect) {
        outsideEffects.add(effect);
    }

    /**
     * Keeps ({@code committed}) or takes back the effects outside the store, the latest first; a
     * failure to take one back is added to {@code failure}, the transaction's own.
     */
    void settle(boolean committed, Throwable failure) {
        for (int i = outsideEffects.size() - 1; i >= 0; i--) {
            try {
                outsideEffects.get(i).settle(committed);
            } catch (RuntimeException notSettled) {
                if (failure != null) {
                    failure.addSuppressed(notSettled);
                }
            }
        }
        outsideEffects.clear();
    }

    @Override
    public void appendEvent(String kind, String agent, String resource, Map<String, Object> details) {
        update("INSERT INTO events (at, kind, agent, resource, details) VALUES (?, ?, ?, ?, ?)", now, kind, agent, resource,
                JSON.writeValueAsString(details));
        raised.addAll(Signals.raisedBy(kind, details));
    }

    @Override
    public List<Event> events(long afterId, String agent, String kind, int limit) {
        List<Object> args = new ArrayList<>();
        args.add(afterId);
        String where = "id > ?" + eventFilters(agent, kind, args);
        args.add(limit);
        return queryEvents("SELECT id, at, kind, agent, resource, details FROM events WHERE " + where
                + " ORDER BY id LIMIT ?", args.toArray());
    }

    @Override
    public List<Event> eventsBefore(long beforeId, String agent, String kind, int limit) {
        List<Object> args = new ArrayList<>(List.of(beforeId));
        String where = "id < ?" + eventFilters(agent, kind, args);
        args.add(limit);
        List<Event> newestFirst = queryEvents("SELECT id, at, kind, agent, resource, details FROM events WHERE " + where
                + " ORDER BY id DESC LIMIT ?", args.toArray());
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    @Override
    public List<Event> eventsRecordedBefore(long time, int limit) {
        return queryEvents("SELECT id, at, kind, agent, resource, details FROM events WHERE at < ? ORDER BY id LIMIT ?", time, limit);
    }

    @Override
    public void deleteEvents(List<Long> ids) {
        if (!ids.isEmpty()) {
            update("DELETE FROM events WHERE id IN (" + placeholders(ids.size()) + ")", ids.toArray());
        }
    }

    @Override
    public Optional<String> setting(String name) {
        if (settings == null) {
            Map<String, String> stored = new HashMap<>();
            query("SELECT name, value FROM settings", row -> Map.entry(row.getString(1), row.getString(2)))
                    .forEach(entry -> stored.put(entry.getKey(), entry.getValue()));
            settings = stored;
        }
        return Optional.ofNullable(settings.get(name));
    }

    @Override
    public void putSetting(String name, String value) {
        update("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value);
        if (settings != null) {
            settings.put(name, value);
        }
    }

    @Override
    public Optional<StoredAnswer> storedAnswer(String caller, String key, long storedAfter) {
        return query("SELECT request, status, body FROM idempotency WHERE caller = ? AND key = ? AND created_at > ?",
                row -> new StoredAnswer(row.getString(1), row.getInt(2), row.getString(3)), caller, key, storedAfter).stream().findFirst();
    }

    @Override
    public void storeAnswer(String caller, String key, StoredAnswer answer) {
        update("INSERT INTO idempotency (caller, key, request, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (caller, key) DO UPDATE SET request = excluded.request, status = excluded.status, body = excluded.body, "
                + "created_at = excluded.created_at", caller, key, answer.request(), answer.status(), answer.body(), now);
    }

    @Override
    public int forgetAnswersStoredBefore(long time) {
        return update("DELETE FROM idempotency WHERE created_at <= ?", time);
    }

    private static String eventFilters(String agent, String kind, List<Object> args) {
        StringBuilder where = new StringBuilder();
        if (agent != null) {
            where.append(" AND agent = ?");
            args.add(agent);
        }
        if (kind != null) {
            where.append(" AND kind = ?");
            args.add(kind);
        }
        return where.toString();
    }

    /** Ids of the table's rows starting with the prefix, at most {@code limit}, in order (a range on the key: binary collation). */
    List<String> idsStartingWith(String table, String prefix, int limit) {
        return query("SELECT id FROM " + table + " WHERE id >= ? AND id < ? ORDER BY id LIMIT ?", row -> row.getString(1),
                prefix, prefix + Character.MAX_VALUE, limit);
    }

    static String placeholders(int count) {
        return String.join(", ", Collections.nCopies(count, "?"));
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        try (ResultSet rows = bind(sql, args).executeQuery()) {
            List<T> result = new ArrayList<>();
            while (rows.next()) {
                result.add(mapper.map(rows));
            }
            return result;
        } catch (SQLException e) {
            throw statements.failure(sql, "store query failed", e);
        }
    }

    static Long nullableLong(ResultSet row, int column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    List<Event> queryEvents(String sql, Object... args) {
        return query(sql, row -> new Event(row.getLong(1), row.getLong(2), row.getString(3), row.getString(4),
                row.getString(5), JSON.readValue(row.getString(6), DETAILS)), args);
    }

    long queryLong(String sql, Object... args) {
        return query(sql, row -> row.getLong(1), args).get(0);
    }

    int update(String sql, Object... args) {
        try {
            return bind(sql, args).executeUpdate();
        } catch (SQLException e) {
            throw statements.failure(sql, "store update failed", e);
        }
    }

    PreparedStatement bind(String sql, Object... args) throws SQLException {
        PreparedStatement statement = statements.prepared(sql);
        for (int i = 0; i < args.length; i++) {
            statement.setObject(i + 1, args[i]);
        }
        return statement;
    }
}
