package dev.swarmhub.store;

import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.Waiter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The lease and waiter rows in portable SQL. */
final class LeaseSql implements LeaseStore {

    private static final String LEASE_COLUMNS = "id, resource, mode, agent, token, reason, acquired_at, expires_at";
    private static final String WAITER_COLUMNS = "SELECT w.id, w.agent, c.resource, w.mode, w.since, w.seen_at, w.deadline, "
            + "w.served_by_host, w.served_by_pid, w.served_by_started_at FROM waiter_claims c JOIN waiters w ON w.id = c.waiter_id ";

    private final JdbcTx tx;

    LeaseSql(JdbcTx tx) {
        this.tx = tx;
    }

    /**
     * Tokens follow the store clock, in microseconds (its milliseconds × 1,000: room for 1,000
     * grants per millisecond, far beyond what one store commits), unless the counter is already
     * ahead of it: so they grow strictly within the store, and a store that replaced a deleted
     * one (git clean of .swarm/) starts above every token the old one granted.
     */
    @Override
    public long nextFencingToken() {
        long clockFloor = Math.multiplyExact(tx.now(), 1_000L);
        return tx.queryLong("UPDATE counters SET value = CASE WHEN value + 1 > ? THEN value + 1 ELSE ? END "
                + "WHERE name = 'fencing_token' RETURNING value", clockFloor, clockFloor);
    }

    @Override
    public List<Lease> leasesIn(Resource.AnchorScope scope) {
        List<Lease> leases = new ArrayList<>();
        if (!scope.anchors().isEmpty()) {
            leases.addAll(queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE anchor IN ("
                    + JdbcTx.placeholders(scope.anchors().size()) + ")", scope.anchors().toArray()));
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
            args.add(tx.now());
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
                resource.anchor(), resource.text(), tx.now());
    }

    @Override
    public void keepWhileActive(long id, long renewMillis) {
        tx.update("UPDATE leases SET renew_ms = ? WHERE id = ?", renewMillis, id);
    }

    @Override
    public void renewWhileActive(String agent) {
        tx.update("UPDATE leases SET expires_at = ? + renew_ms WHERE agent = ? AND renew_ms IS NOT NULL AND expires_at > ? "
                + "AND expires_at < ? + renew_ms", tx.now(), agent, tx.now(), tx.now());
    }

    @Override
    public Lease insertLease(Resource resource, Mode mode, String agent, long token, String reason, long expiresAt) {
        long id = tx.queryLong("INSERT INTO leases (resource, anchor, mode, agent, token, reason, acquired_at, expires_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                resource.text(), resource.anchor(), mode.label(), agent, token, reason, tx.now(), expiresAt);
        return new Lease(id, resource, mode, agent, token, reason, tx.now(), expiresAt);
    }

    @Override
    public void updateLease(long id, Mode mode, String reason, long expiresAt) {
        tx.update("UPDATE leases SET mode = ?, reason = ?, expires_at = ? WHERE id = ?", mode.label(), reason, expiresAt, id);
    }

    @Override
    public void deleteLease(long id) {
        tx.update("DELETE FROM leases WHERE id = ?", id);
    }

    @Override
    public Optional<Lease> deleteLeaseOf(String agent, Resource resource) {
        return queryLeases("DELETE FROM leases WHERE agent = ? AND resource = ? RETURNING " + LEASE_COLUMNS, agent,
                resource.text()).stream().findFirst();
    }

    @Override
    public List<Lease> expiredLeases(long at) {
        return queryLeases("SELECT " + LEASE_COLUMNS + " FROM leases WHERE expires_at <= ? ORDER BY id", at);
    }

    @Override
    public long insertWaiter(String agent, List<Resource> resources, Mode mode, long deadline, ProcessIdentity servedBy) {
        long id = tx.queryLong("INSERT INTO waiters (agent, mode, since, seen_at, deadline, served_by_host, served_by_pid, served_by_started_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", agent, mode.label(), tx.now(), tx.now(), deadline,
                servedBy == null ? null : servedBy.host(), servedBy == null ? null : servedBy.pid(),
                servedBy == null ? null : servedBy.startedAt());
        for (Resource resource : resources) {
            tx.update("INSERT INTO waiter_claims (waiter_id, resource, anchor) VALUES (?, ?, ?)", id, resource.text(),
                    resource.anchor());
        }
        return id;
    }

    @Override
    public boolean touchWaiter(long waiterId) {
        return tx.update("UPDATE waiters SET seen_at = ? WHERE id = ?", tx.now(), waiterId) > 0;
    }

    @Override
    public void deleteWaiter(long waiterId) {
        tx.update("DELETE FROM waiter_claims WHERE waiter_id = ?", waiterId);
        tx.update("DELETE FROM waiters WHERE id = ?", waiterId);
    }

    @Override
    public List<Waiter> liveWaitersIn(Resource.AnchorScope scope, long seenSince) {
        String select = WAITER_COLUMNS + "WHERE w.seen_at >= ? AND w.deadline > ? AND ";
        List<Waiter> waiters = new ArrayList<>();
        if (!scope.anchors().isEmpty()) {
            List<Object> args = new ArrayList<>(List.of(seenSince, tx.now()));
            args.addAll(scope.anchors());
            waiters.addAll(queryWaiters(select + "c.anchor IN (" + JdbcTx.placeholders(scope.anchors().size()) + ")", args.toArray()));
        }
        if (scope.rangeFrom() != null) {
            waiters.addAll(scope.rangeTo() == null
                    ? queryWaiters(select + "c.anchor >= ?", seenSince, tx.now(), scope.rangeFrom())
                    : queryWaiters(select + "c.anchor >= ? AND c.anchor < ?", seenSince, tx.now(), scope.rangeFrom(), scope.rangeTo()));
        }
        return waiters;
    }

    @Override
    public List<Waiter> liveWaiters(long seenSince) {
        return queryWaiters(WAITER_COLUMNS + "WHERE w.seen_at >= ? AND w.deadline > ? ORDER BY c.resource, w.id", seenSince, tx.now());
    }

    @Override
    public List<Waiter> silentWaiters(long seenSince) {
        return queryWaiters(WAITER_COLUMNS + "WHERE w.seen_at < ? OR w.deadline <= ?", seenSince, tx.now());
    }

    private List<Lease> queryLeases(String sql, Object... args) {
        return tx.query(sql, row -> new Lease(row.getLong(1), Resource.ofCanonical(row.getString(2)), Mode.parse(row.getString(3)),
                row.getString(4), row.getLong(5), row.getString(6), row.getLong(7), row.getLong(8)), args);
    }

    private List<Waiter> queryWaiters(String sql, Object... args) {
        return tx.query(sql, row -> {
            String servingHost = row.getString(8);
            ProcessIdentity servedBy = servingHost == null ? null : new ProcessIdentity(servingHost, row.getLong(9), row.getLong(10));
            return new Waiter(row.getLong(1), row.getString(2), Resource.ofCanonical(row.getString(3)),
                    Mode.parse(row.getString(4)), row.getLong(5), row.getLong(6), row.getLong(7), servedBy);
        }, args);
    }
}
