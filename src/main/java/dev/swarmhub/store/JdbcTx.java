package dev.swarmhub.store;

import dev.swarmhub.core.Agent;
import dev.swarmhub.core.Event;
import dev.swarmhub.core.Lease;
import dev.swarmhub.core.Mode;
import dev.swarmhub.core.Resource;
import dev.swarmhub.core.Tx;
import dev.swarmhub.core.Waiter;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The transaction operations in portable SQL (SQLite and PostgreSQL both run it): the caller
 * has already begun the transaction on the connection and read the store clock.
 */
final class JdbcTx implements Tx {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Object>> DETAILS = new TypeReference<>() {
    };
    private static final String LEASE_COLUMNS = "id, resource, mode, agent, token, reason, acquired_at, expires_at";

    private final StatementCache statements;
    private final long now;
    /** Whether this transaction removed a lease or a waiter: after commit, waiters should look again. */
    private boolean freed;

    JdbcTx(StatementCache statements, long now) {
        this.statements = statements;
        this.now = now;
    }

    @Override
    public long now() {
        return now;
    }

    boolean freedSomething() {
        return freed;
    }

    @Override
    public long nextFencingToken() {
        return queryLong("UPDATE counters SET value = value + 1 WHERE name = 'fencing_token' RETURNING value");
    }

    @Override
    public List<Lease> liveLeasesIn(Resource.AnchorScope scope) {
        List<Lease> leases = new ArrayList<>();
        if (!scope.anchors().isEmpty()) {
            List<Object> args = new ArrayList<>(scope.anchors());
            args.add(now);
            leases.addAll(queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor IN ("
                    + placeholders(scope.anchors().size()) + ") AND expires_at > ?", args.toArray()));
        }
        if (scope.rangeFrom() != null) {
            leases.addAll(scope.rangeTo() == null
                    ? queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor >= ? AND expires_at > ?",
                            scope.rangeFrom(), now)
                    : queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor >= ? AND anchor < ? AND expires_at > ?",
                            scope.rangeFrom(), scope.rangeTo(), now));
        }
        return leases;
    }

    @Override
    public List<Lease> leases(String agent, boolean includeExpired) {
        String where = (agent == null ? "1 = 1" : "agent = ?") + (includeExpired ? "" : " AND expires_at > ?");
        List<Object> args = new ArrayList<>();
        if (agent != null) {
            args.add(agent);
        }
        if (!includeExpired) {
            args.add(now);
        }
        return queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE " + where + " ORDER BY resource, agent",
                args.toArray());
    }

    @Override
    public Optional<Lease> leaseOf(String agent, Resource resource) {
        return queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE agent = ? AND resource = ?", agent,
                resource.text()).stream().findFirst();
    }

    @Override
    public List<Lease> liveLeasesOn(Resource resource) {
        return queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor = ? AND resource = ? AND expires_at > ?",
                resource.anchor(), resource.text(), now);
    }

    @Override
    public Lease insertLease(Resource resource, Mode mode, String agent, long token, String reason, long expiresAt) {
        long id = queryLong("INSERT INTO leases (resource, anchor, mode, agent, token, reason, acquired_at, expires_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                resource.text(), resource.anchor(), mode.label(), agent, token, reason, now, expiresAt);
        return new Lease(id, resource, mode, agent, token, reason, now, expiresAt);
    }

    @Override
    public void updateLease(long id, Mode mode, String reason, long expiresAt) {
        update("UPDATE leases SET mode = ?, reason = ?, expires_at = ? WHERE id = ?", mode.label(), reason, expiresAt, id);
    }

    @Override
    public void deleteLease(long id) {
        freed |= update("DELETE FROM leases WHERE id = ?", id) > 0;
    }

    @Override
    public List<Lease> expiredLeases(long at) {
        return queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE expires_at <= ? ORDER BY id", at);
    }

    @Override
    public long insertWaiter(String agent, List<Resource> resources, Mode mode, long deadline) {
        long id = queryLong("INSERT INTO waiters (agent, mode, since, seen_at, deadline) VALUES (?, ?, ?, ?, ?) RETURNING id",
                agent, mode.label(), now, now, deadline);
        for (Resource resource : resources) {
            update("INSERT INTO waiter_claims (waiter_id, resource, anchor) VALUES (?, ?, ?)", id, resource.text(),
                    resource.anchor());
        }
        return id;
    }

    @Override
    public boolean touchWaiter(long waiterId) {
        return update("UPDATE waiters SET seen_at = ? WHERE id = ?", now, waiterId) > 0;
    }

    @Override
    public void deleteWaiter(long waiterId) {
        update("DELETE FROM waiter_claims WHERE waiter_id = ?", waiterId);
        freed |= update("DELETE FROM waiters WHERE id = ?", waiterId) > 0;
    }

    @Override
    public List<Waiter> liveWaitersIn(Resource.AnchorScope scope, long seenSince) {
        String select = "SELECT w.id, w.agent, c.resource, w.mode, w.since FROM waiter_claims c JOIN waiters w ON w.id = c.waiter_id "
                + "WHERE w.seen_at >= ? AND w.deadline > ? AND ";
        List<Waiter> waiters = new ArrayList<>();
        if (!scope.anchors().isEmpty()) {
            List<Object> args = new ArrayList<>(List.of(seenSince, now));
            args.addAll(scope.anchors());
            waiters.addAll(queryWaiters(select + "c.anchor IN (" + placeholders(scope.anchors().size()) + ")", args.toArray()));
        }
        if (scope.rangeFrom() != null) {
            waiters.addAll(scope.rangeTo() == null
                    ? queryWaiters(select + "c.anchor >= ?", seenSince, now, scope.rangeFrom())
                    : queryWaiters(select + "c.anchor >= ? AND c.anchor < ?", seenSince, now, scope.rangeFrom(), scope.rangeTo()));
        }
        return waiters;
    }

    @Override
    public int deleteDeadWaiters(long seenSince) {
        update("DELETE FROM waiter_claims WHERE waiter_id IN (SELECT id FROM waiters WHERE seen_at < ? OR deadline <= ?)",
                seenSince, now);
        int removed = update("DELETE FROM waiters WHERE seen_at < ? OR deadline <= ?", seenSince, now);
        freed |= removed > 0;
        return removed;
    }

    @Override
    public void appendEvent(String kind, String agent, Resource resource, Map<String, Object> details) {
        update("INSERT INTO events (at, kind, agent, resource, details) VALUES (?, ?, ?, ?, ?)", now, kind, agent,
                resource == null ? null : resource.text(), JSON.writeValueAsString(details));
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
    public List<Event> latestEvents(String agent, String kind, int limit) {
        List<Object> args = new ArrayList<>();
        String where = "1 = 1" + eventFilters(agent, kind, args);
        args.add(limit);
        List<Event> newestFirst = queryEvents("SELECT id, at, kind, agent, resource, details FROM events WHERE " + where
                + " ORDER BY id DESC LIMIT ?", args.toArray());
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    private static final String AGENT_COLUMNS = "id, kind, status, label, pane, pid, pid_started_at, host, registered_at, "
            + "last_seen, status_since, token_hash IS NOT NULL";

    @Override
    public Optional<Agent> agent(String id) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE id = ?", id).stream().findFirst();
    }

    @Override
    public Optional<Agent> liveAgentOnPane(String host, String pane) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE host = ? AND pane = ? AND status <> 'gone'", host, pane)
                .stream().findFirst();
    }

    @Override
    public List<Agent> agents() {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents ORDER BY id");
    }

    @Override
    public List<Agent> reapCandidates(long seenBefore, String host) {
        return queryAgents("SELECT " + AGENT_COLUMNS + " FROM agents WHERE status <> 'gone' AND (last_seen <= ? OR host = ?) ORDER BY id",
                seenBefore, host);
    }

    @Override
    public void saveAgent(Agent agent, String tokenHash) {
        update("INSERT INTO agents (id, kind, status, label, pane, pid, pid_started_at, host, token_hash, registered_at, last_seen, status_since) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, status = excluded.status, "
                + "label = excluded.label, pane = excluded.pane, pid = excluded.pid, pid_started_at = excluded.pid_started_at, "
                + "host = excluded.host, token_hash = excluded.token_hash, registered_at = excluded.registered_at, "
                + "last_seen = excluded.last_seen, status_since = excluded.status_since",
                agent.id(), agent.kind(), agent.status().label(), agent.label(), agent.pane(), agent.pid(), agent.pidStartedAt(),
                agent.host(), tokenHash, agent.registeredAt(), agent.lastSeen(), agent.statusSince());
    }

    @Override
    public Optional<String> agentTokenHash(String id) {
        return query("SELECT token_hash FROM agents WHERE id = ? AND token_hash IS NOT NULL", row -> row.getString(1), id)
                .stream().findFirst();
    }

    @Override
    public void setAgentToken(String id, String tokenHash) {
        update("UPDATE agents SET token_hash = ? WHERE id = ?", tokenHash, id);
    }

    @Override
    public void touchAgent(String id) {
        update("UPDATE agents SET last_seen = ? WHERE id = ?", now, id);
    }

    @Override
    public void setAgentStatus(String id, Agent.Status status) {
        update("UPDATE agents SET status = ?, status_since = ? WHERE id = ?", status.label(), now, id);
    }

    @Override
    public void deleteAgent(String id) {
        update("DELETE FROM agents WHERE id = ?", id);
    }

    @Override
    public Optional<String> setting(String name) {
        return query("SELECT value FROM settings WHERE name = ?", row -> row.getString(1), name).stream().findFirst();
    }

    @Override
    public void putSetting(String name, String value) {
        update("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value);
    }

    @Override
    public Optional<String> agentWithTokenHash(String tokenHash) {
        return query("SELECT id FROM agents WHERE token_hash = ?", row -> row.getString(1), tokenHash).stream().findFirst();
    }

    @Override
    public Optional<StoredAnswer> storedAnswer(String caller, String key) {
        return query("SELECT request, status, body FROM idempotency WHERE caller = ? AND key = ?",
                row -> new StoredAnswer(row.getString(1), row.getInt(2), row.getString(3)), caller, key).stream().findFirst();
    }

    @Override
    public void storeAnswer(String caller, String key, StoredAnswer answer) {
        update("INSERT INTO idempotency (caller, key, request, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                caller, key, answer.request(), answer.status(), answer.body(), now);
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

    private static String placeholders(int count) {
        return String.join(", ", Collections.nCopies(count, "?"));
    }

    @FunctionalInterface
    private interface RowMapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    private <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        try (ResultSet rows = bind(sql, args).executeQuery()) {
            List<T> result = new ArrayList<>();
            while (rows.next()) {
                result.add(mapper.map(rows));
            }
            return result;
        } catch (SQLException e) {
            throw new StoreException("store query failed", e);
        }
    }

    private List<Lease> queryLeases(String sql, Object... args) {
        return query(sql, row -> new Lease(row.getLong(1), Resource.ofCanonical(row.getString(2)), Mode.parse(row.getString(3)),
                row.getString(4), row.getLong(5), row.getString(6), row.getLong(7), row.getLong(8)), args);
    }

    private List<Agent> queryAgents(String sql, Object... args) {
        return query(sql, row -> new Agent(row.getString(1), row.getString(2), Agent.Status.parse(row.getString(3)),
                row.getString(4), row.getString(5), nullableLong(row, 6), nullableLong(row, 7), row.getString(8),
                row.getLong(9), row.getLong(10), row.getLong(11), row.getBoolean(12)), args);
    }

    private static Long nullableLong(ResultSet row, int column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    private List<Waiter> queryWaiters(String sql, Object... args) {
        return query(sql, row -> new Waiter(row.getLong(1), row.getString(2), Resource.ofCanonical(row.getString(3)),
                Mode.parse(row.getString(4)), row.getLong(5)), args);
    }

    private List<Event> queryEvents(String sql, Object... args) {
        return query(sql, row -> new Event(row.getLong(1), row.getLong(2), row.getString(3), row.getString(4),
                row.getString(5), JSON.readValue(row.getString(6), DETAILS)), args);
    }

    private long queryLong(String sql, Object... args) {
        return query(sql, row -> row.getLong(1), args).get(0);
    }

    private int update(String sql, Object... args) {
        try {
            return bind(sql, args).executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("store update failed", e);
        }
    }

    private PreparedStatement bind(String sql, Object... args) throws SQLException {
        PreparedStatement statement = statements.prepared(sql);
        for (int i = 0; i < args.length; i++) {
            statement.setObject(i + 1, args[i]);
        }
        return statement;
    }
}
