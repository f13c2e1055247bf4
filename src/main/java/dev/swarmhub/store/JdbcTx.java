package dev.swarmhub.store;

import dev.swarmhub.core.Agent;
import dev.swarmhub.core.Event;
import dev.swarmhub.core.Lease;
import dev.swarmhub.core.Message;
import dev.swarmhub.core.MessageType;
import dev.swarmhub.core.Mode;
import dev.swarmhub.core.Resource;
import dev.swarmhub.core.Store;
import dev.swarmhub.core.Tx;
import dev.swarmhub.core.ProcessIdentity;
import dev.swarmhub.core.Waiter;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
    /** What this transaction did that waiters should look at again after commit. */
    private final EnumSet<Store.Signal> raised = EnumSet.noneOf(Store.Signal.class);

    JdbcTx(StatementCache statements, long now) {
        this.statements = statements;
        this.now = now;
    }

    @Override
    public long now() {
        return now;
    }

    Set<Store.Signal> raised() {
        return raised;
    }

    private void raiseIf(boolean changed, Store.Signal signal) {
        if (changed) {
            raised.add(signal);
        }
    }

    /**
     * Tokens follow the store clock, in microseconds (its milliseconds × 1,000: room for 1,000
     * grants per millisecond, far beyond what one store commits), unless the counter is already
     * ahead of it: so they grow strictly within the store, and a store that replaced a deleted
     * one (git clean of .swarm/) starts above every token the old one granted.
     */
    @Override
    public long nextFencingToken() {
        long clockFloor = Math.multiplyExact(now, 1_000L);
        return queryLong("UPDATE counters SET value = CASE WHEN value + 1 > ? THEN value + 1 ELSE ? END "
                + "WHERE name = 'fencing_token' RETURNING value", clockFloor, clockFloor);
    }

    @Override
    public List<Lease> leasesIn(Resource.AnchorScope scope) {
        List<Lease> leases = new ArrayList<>();
        if (!scope.anchors().isEmpty()) {
            leases.addAll(queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor IN ("
                    + placeholders(scope.anchors().size()) + ")", scope.anchors().toArray()));
        }
        if (scope.rangeFrom() != null) {
            leases.addAll(scope.rangeTo() == null
                    ? queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor >= ?", scope.rangeFrom())
                    : queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor >= ? AND anchor < ?",
                            scope.rangeFrom(), scope.rangeTo()));
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
        raiseIf(update("DELETE FROM leases WHERE id = ?", id) > 0, Store.Signal.FREED);
    }

    @Override
    public Optional<Lease> deleteLeaseOf(String agent, Resource resource) {
        Optional<Lease> deleted = queryLeases("DELETE FROM leases WHERE agent = ? AND resource = ? RETURNING " + LEASE_COLUMNS, agent,
                resource.text()).stream().findFirst();
        raiseIf(deleted.isPresent(), Store.Signal.FREED);
        return deleted;
    }

    @Override
    public List<Lease> expiredLeases(long at) {
        return queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE expires_at <= ? ORDER BY id", at);
    }

    @Override
    public long insertWaiter(String agent, List<Resource> resources, Mode mode, long deadline, ProcessIdentity servedBy) {
        long id = queryLong("INSERT INTO waiters (agent, mode, since, seen_at, deadline, served_by_host, served_by_pid, served_by_started_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", agent, mode.label(), now, now, deadline,
                servedBy == null ? null : servedBy.host(), servedBy == null ? null : servedBy.pid(),
                servedBy == null ? null : servedBy.startedAt());
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
        raiseIf(update("DELETE FROM waiters WHERE id = ?", waiterId) > 0, Store.Signal.FREED);
    }

    @Override
    public List<Waiter> liveWaitersIn(Resource.AnchorScope scope, long seenSince) {
        String select = WAITER_COLUMNS + "WHERE w.seen_at >= ? AND w.deadline > ? AND ";
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
    public List<Waiter> silentWaiters(long seenSince) {
        return queryWaiters(WAITER_COLUMNS + "WHERE w.seen_at < ? OR w.deadline <= ?", seenSince, now);
    }

    @Override
    public void appendEvent(String kind, String agent, Resource resource, Map<String, Object> details) {
        update("INSERT INTO events (at, kind, agent, resource, details) VALUES (?, ?, ?, ?, ?)", now, kind, agent,
                resource == null ? null : resource.text(), JSON.writeValueAsString(details));
        raised.add(Store.Signal.LOGGED);
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

    private static final String AGENT_COLUMNS = "id, kind, status, label, pane, tmux_socket, pane_pid, pane_pid_started_at, pid, "
            + "pid_started_at, host, registered_at, last_seen, status_since, token_hash IS NOT NULL";

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
        update("INSERT INTO agents (id, kind, status, label, pane, tmux_socket, pane_pid, pane_pid_started_at, pid, pid_started_at, host, "
                + "token_hash, registered_at, last_seen, status_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, status = excluded.status, label = excluded.label, "
                + "pane = excluded.pane, tmux_socket = excluded.tmux_socket, pane_pid = excluded.pane_pid, "
                + "pane_pid_started_at = excluded.pane_pid_started_at, pid = excluded.pid, pid_started_at = excluded.pid_started_at, "
                + "host = excluded.host, token_hash = excluded.token_hash, registered_at = excluded.registered_at, "
                + "last_seen = excluded.last_seen, status_since = excluded.status_since",
                agent.id(), agent.kind(), agent.status().label(), agent.label(), agent.pane(), agent.tmuxSocket(), agent.panePid(),
                agent.panePidStartedAt(), agent.pid(), agent.pidStartedAt(), agent.host(), tokenHash, agent.registeredAt(), agent.lastSeen(), agent.statusSince());
    }

    @Override
    public Optional<Claimed> claimedAgent(String id) {
        return query("SELECT " + AGENT_COLUMNS + ", token_hash FROM agents WHERE id = ? AND token_hash IS NOT NULL",
                row -> new Claimed(agent(row), row.getString(16)), id).stream().findFirst();
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

    // --- messages ---

    private static final String MESSAGE_COLUMNS = "id, sender, type, priority, thread, reply_to, text, ack_required, created_at, signature";
    private static final String RECIPIENT_COLUMNS = "recipient, stored_at, delivered_at, read_at, acked_at, attempts, next_retry_at, "
            + "escalated, pane";

    @Override
    public void insertMessage(Message message) {
        update("INSERT INTO messages (" + MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", message.id(), message.sender(),
                message.type().label(), message.priority(), message.thread(), message.replyTo(), message.text(),
                message.ackRequired() ? 1 : 0, message.createdAt(), message.signature());
        for (Message.Recipient recipient : message.recipients()) {
            update("INSERT INTO message_recipients (message_id, recipient, stored_at, attempts, next_retry_at, pane) VALUES (?, ?, ?, 1, ?, ?)",
                    message.id(), recipient.agent(), recipient.storedAt(), recipient.nextRetryAt(), recipient.pane());
        }
        update("INSERT INTO messages_fts (id, text) VALUES (?, ?)", message.id(), message.text());
        raised.add(Store.Signal.MAIL);
    }

    @Override
    public Optional<Message> message(String id) {
        return queryMessages("SELECT " + MESSAGE_COLUMNS + " FROM messages WHERE id = ?", id).stream().findFirst();
    }

    @Override
    public List<String> messageIdsStartingWith(String prefix, int limit) {
        return query("SELECT id FROM messages WHERE id >= ? AND id < ? ORDER BY id LIMIT ?", row -> row.getString(1),
                prefix, prefix + Character.MAX_VALUE, limit);
    }

    @Override
    public List<Message> inbox(String recipient, boolean unreadOnly, int limit) {
        return queryMessages("SELECT m.id, m.sender, m.type, m.priority, m.thread, m.reply_to, m.text, m.ack_required, m.created_at, "
                + "m.signature FROM message_recipients r JOIN messages m ON m.id = r.message_id WHERE r.recipient = ?"
                + (unreadOnly ? " AND r.read_at IS NULL" : "") + " ORDER BY m.created_at, m.rowid LIMIT ?", recipient, limit);
    }

    @Override
    public List<Message> thread(String threadId) {
        return queryMessages("SELECT " + MESSAGE_COLUMNS + " FROM messages WHERE thread = ? ORDER BY created_at, rowid", threadId);
    }

    @Override
    public List<Message> searchMessages(String ftsQuery, String visibleTo, int limit) {
        String visible = visibleTo == null ? "" : " AND (m.sender = ? OR EXISTS (SELECT 1 FROM message_recipients r "
                + "WHERE r.message_id = m.id AND r.recipient = ?))";
        List<Object> args = new ArrayList<>(List.of(ftsQuery));
        if (visibleTo != null) {
            args.addAll(List.of(visibleTo, visibleTo));
        }
        args.add(limit);
        return queryMessages("SELECT m.id, m.sender, m.type, m.priority, m.thread, m.reply_to, m.text, m.ack_required, m.created_at, "
                + "m.signature FROM messages_fts f JOIN messages m ON m.id = f.id WHERE messages_fts MATCH ?" + visible
                + " ORDER BY f.rank LIMIT ?", args.toArray());
    }

    @Override
    public List<long[]> sentAfter(String sender, long since) {
        return query("SELECT m.created_at, (SELECT count(*) FROM message_recipients r WHERE r.message_id = m.id) FROM messages m "
                + "WHERE m.sender = ? AND m.created_at > ? ORDER BY m.created_at", row -> new long[] {row.getLong(1), row.getLong(2)},
                sender, since);
    }

    @Override
    public boolean markReceived(String messageId, String recipient, boolean read, boolean acked) {
        return update("UPDATE message_recipients SET delivered_at = coalesce(delivered_at, ?), "
                + "read_at = CASE WHEN ? THEN coalesce(read_at, ?) ELSE read_at END, "
                + "acked_at = CASE WHEN ? THEN coalesce(acked_at, ?) ELSE acked_at END, "
                + "next_retry_at = CASE WHEN ? THEN NULL ELSE next_retry_at END "
                + "WHERE message_id = ? AND recipient = ?", now, read || acked, now, acked, now, acked, messageId, recipient) > 0;
    }

    @Override
    public List<RetryDue> retriesDue(long at, String messageId) {
        return query("SELECT message_id, recipient, attempts FROM message_recipients WHERE next_retry_at IS NOT NULL "
                + "AND next_retry_at <= ? AND acked_at IS NULL AND (CAST(? AS TEXT) IS NULL OR message_id = ?) ORDER BY next_retry_at",
                row -> new RetryDue(row.getString(1), row.getString(2), row.getInt(3)), at, messageId, messageId);
    }

    @Override
    public void redeliver(String messageId, String recipient, int attempts, long nextRetryAt) {
        update("UPDATE message_recipients SET attempts = ?, next_retry_at = ?, read_at = NULL, "
                + "pane = CASE WHEN EXISTS (SELECT 1 FROM agents WHERE id = ? AND pane IS NOT NULL AND status <> 'gone') "
                + "THEN 'pending' ELSE pane END WHERE message_id = ? AND recipient = ?",
                attempts, nextRetryAt, recipient, messageId, recipient);
        raised.add(Store.Signal.MAIL);
    }

    @Override
    public void markEscalated(String messageId, String recipient) {
        update("UPDATE message_recipients SET next_retry_at = NULL, escalated = 1 WHERE message_id = ? AND recipient = ?",
                messageId, recipient);
    }

    @Override
    public List<PaneDelivery> pendingPaneDeliveries(String host, int limit) {
        return query("SELECT r.message_id, r.recipient, a.pane FROM message_recipients r JOIN agents a ON a.id = r.recipient "
                + "WHERE r.pane = 'pending' AND a.pane IS NOT NULL AND a.status <> 'gone' AND a.host = ? ORDER BY r.stored_at, r.rowid LIMIT ?",
                row -> new PaneDelivery(row.getString(1), row.getString(2), row.getString(3)), host, limit);
    }

    @Override
    public long countAwaitingAck() {
        return queryLong("SELECT count(*) FROM message_recipients r JOIN messages m ON m.id = r.message_id "
                + "WHERE m.ack_required = 1 AND r.acked_at IS NULL");
    }

    @Override
    public void setPaneOutcome(String messageId, String recipient, String outcome, boolean delivered) {
        update("UPDATE message_recipients SET pane = ?, delivered_at = CASE WHEN ? THEN coalesce(delivered_at, ?) ELSE delivered_at END "
                + "WHERE message_id = ? AND recipient = ?", outcome, delivered, now, messageId, recipient);
    }

    private List<Message> queryMessages(String sql, Object... args) {
        List<Message> bare = query(sql, row -> new Message(row.getString(1), row.getString(2), MessageType.stored(row.getString(3)),
                row.getString(4), row.getString(5), row.getString(6), row.getString(7), row.getInt(8) != 0, row.getLong(9),
                row.getString(10), List.of()), args);
        List<Message> complete = new ArrayList<>(bare.size());
        for (Message message : bare) {
            List<Message.Recipient> recipients = query("SELECT " + RECIPIENT_COLUMNS + " FROM message_recipients WHERE message_id = ? "
                    + "ORDER BY recipient", row -> new Message.Recipient(row.getString(1), row.getLong(2), nullableLong(row, 3),
                    nullableLong(row, 4), nullableLong(row, 5), row.getInt(6), nullableLong(row, 7), row.getInt(8) != 0,
                    row.getString(9)), message.id());
            complete.add(new Message(message.id(), message.sender(), message.type(), message.priority(), message.thread(),
                    message.replyTo(), message.text(), message.ackRequired(), message.createdAt(), message.signature(), recipients));
        }
        return complete;
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
            throw statements.failure(sql, "store query failed", e);
        }
    }

    private List<Lease> queryLeases(String sql, Object... args) {
        return query(sql, row -> new Lease(row.getLong(1), Resource.ofCanonical(row.getString(2)), Mode.parse(row.getString(3)),
                row.getString(4), row.getLong(5), row.getString(6), row.getLong(7), row.getLong(8)), args);
    }

    private List<Agent> queryAgents(String sql, Object... args) {
        return query(sql, JdbcTx::agent, args);
    }

    /** An agent from a row that starts with {@link #AGENT_COLUMNS}. */
    private static Agent agent(ResultSet row) throws SQLException {
        return new Agent(row.getString(1), row.getString(2), Agent.Status.parse(row.getString(3)), row.getString(4), row.getString(5),
                row.getString(6), nullableLong(row, 7), nullableLong(row, 8), nullableLong(row, 9), nullableLong(row, 10),
                row.getString(11), row.getLong(12), row.getLong(13), row.getLong(14), row.getBoolean(15));
    }

    private static Long nullableLong(ResultSet row, int column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? null : value;
    }

    private static final String WAITER_COLUMNS = "SELECT w.id, w.agent, c.resource, w.mode, w.since, w.seen_at, w.deadline, "
            + "w.served_by_host, w.served_by_pid, w.served_by_started_at FROM waiter_claims c JOIN waiters w ON w.id = c.waiter_id ";

    private List<Waiter> queryWaiters(String sql, Object... args) {
        return query(sql, row -> {
            String servingHost = row.getString(8);
            ProcessIdentity servedBy = servingHost == null ? null : new ProcessIdentity(servingHost, row.getLong(9), row.getLong(10));
            return new Waiter(row.getLong(1), row.getString(2), Resource.ofCanonical(row.getString(3)),
                    Mode.parse(row.getString(4)), row.getLong(5), row.getLong(6), row.getLong(7), servedBy);
        }, args);
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
            throw statements.failure(sql, "store update failed", e);
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
