package dev.swarmhub.store;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.tasks.Task;
import dev.swarmhub.tasks.TaskStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The task rows in portable SQL. A task's events carry its claim's resource ({@code task:<id>}),
 * found through the partial index {@code events_by_task}: its terms are repeated in each query
 * that reads it ({@link #TASK_EVENTS}), so that the database can use it.
 */
final class TaskSql implements TaskStore {

    private static final String COLUMNS = "t.id, t.title, t.description, t.status, t.priority, t.parent, t.creator, t.assignee, "
            + "t.claim_token, t.progress, t.note, t.external_ref, t.created_at, t.updated_at, t.closed_at";
    /** A blocker of t that is not done: while one exists, the open task t is blocked. */
    private static final String UNFINISHED_BLOCKER = "SELECT 1 FROM task_links k JOIN tasks b ON b.id = k.from_task "
            + "WHERE k.to_task = t.id AND k.kind = 'blocks' AND b.status <> 'done'";
    private static final String TASK_EVENTS = "resource = ? AND resource >= 'task:' AND resource < 'task;'";
    private static final String EVENT_COLUMNS = "id, at, kind, agent, resource, details";

    private final JdbcTx tx;

    TaskSql(JdbcTx tx) {
        this.tx = tx;
    }

    @Override
    public void insertTask(Task task) {
        tx.update("INSERT INTO tasks (id, title, description, status, priority, parent, creator, assignee, claim_token, progress, note, "
                + "external_ref, created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", task.id(), task.title(),
                task.description(), task.status().label(), task.priority(), task.parent(), task.creator(), task.assignee(), task.claimToken(),
                task.progress(), task.note(), task.externalRef(), task.createdAt(), task.updatedAt(), task.closedAt());
        for (String label : task.labels()) {
            tx.update("INSERT INTO task_labels (task, label) VALUES (?, ?)", task.id(), label);
        }
    }

    @Override
    public void updateTask(Task task) {
        tx.update("UPDATE tasks SET status = ?, assignee = ?, claim_token = ?, progress = ?, note = ?, updated_at = ?, closed_at = ? "
                + "WHERE id = ?", task.status().label(), task.assignee(), task.claimToken(), task.progress(), task.note(), task.updatedAt(),
                task.closedAt(), task.id());
    }

    @Override
    public Optional<Task> task(String id) {
        return queryTasks("SELECT " + COLUMNS + " FROM tasks t WHERE t.id = ?", id).stream().findFirst();
    }

    @Override
    public Optional<Task> taskWithExternalRef(String externalRef) {
        return queryTasks("SELECT " + COLUMNS + " FROM tasks t WHERE t.external_ref = ?", externalRef).stream().findFirst();
    }

    @Override
    public List<String> taskIdsStartingWith(String prefix, int limit) {
        return tx.idsStartingWith("tasks", prefix, limit);
    }

    @Override
    public List<Task> tasks(Filter filter, int limit) {
        StringBuilder where = new StringBuilder("1 = 1");
        List<Object> args = new ArrayList<>();
        if (filter.status() == Task.Status.OPEN || filter.status() == Task.Status.BLOCKED) {
            where.append(" AND t.status = 'open' AND ").append(filter.status() == Task.Status.OPEN ? "NOT " : "")
                    .append("EXISTS (").append(UNFINISHED_BLOCKER).append(')');
        } else if (filter.status() != null) {
            where.append(" AND t.status = ?");
            args.add(filter.status().label());
        } else if (!filter.closedToo()) {
            where.append(" AND t.status IN ('open', 'in-progress')");
        }
        if (filter.label() != null) {
            where.append(" AND EXISTS (SELECT 1 FROM task_labels l WHERE l.task = t.id AND l.label = ?)");
            args.add(filter.label());
        }
        if (filter.assignee() != null) {
            where.append(" AND t.assignee = ?");
            args.add(filter.assignee());
        }
        if (filter.parent() != null) {
            where.append(" AND t.parent = ?");
            args.add(filter.parent());
        }
        args.add(limit);
        return queryTasks("SELECT " + COLUMNS + " FROM tasks t WHERE " + where + " ORDER BY t.priority, t.created_at, "
                + tx.dialect().insertionOrder("t") + " LIMIT ?",
                args.toArray());
    }

    @Override
    public List<Blocker> unfinishedBlockers(Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return tx.query("SELECT k.to_task, b.id, b.status FROM task_links k JOIN tasks b ON b.id = k.from_task WHERE k.to_task IN ("
                + placeholders(ids) + ") AND k.kind = 'blocks' AND b.status <> 'done' ORDER BY k.to_task, b.id",
                row -> new Blocker(row.getString(1), row.getString(2), Task.Status.parse(row.getString(3))), ids.toArray());
    }

    @Override
    public List<Link> links(Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        String in = placeholders(ids);
        List<Object> args = new ArrayList<>(ids);
        args.addAll(ids);
        return tx.query("SELECT from_task, to_task, kind FROM task_links WHERE from_task IN (" + in + ") UNION "
                + "SELECT from_task, to_task, kind FROM task_links WHERE to_task IN (" + in + ") ORDER BY 1, 2, 3", TaskSql::link, args.toArray());
    }

    @Override
    public boolean insertLink(Link link) {
        return tx.update("INSERT INTO task_links (from_task, to_task, kind) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", link.from(), link.to(),
                kind(link.kind())) > 0;
    }

    @Override
    public boolean deleteLink(Link link) {
        return tx.update("DELETE FROM task_links WHERE from_task = ? AND to_task = ? AND kind = ?", link.from(), link.to(),
                kind(link.kind())) > 0;
    }

    @Override
    public List<String> blockedTasks(String id) {
        return tx.query("SELECT to_task FROM task_links WHERE from_task = ? AND kind = 'blocks' ORDER BY to_task", row -> row.getString(1), id);
    }

    @Override
    public List<Task> lapsedClaims() {
        return queryTasks("SELECT " + COLUMNS + " FROM tasks t WHERE t.status = 'in-progress' AND NOT EXISTS (SELECT 1 FROM leases l "
                + "WHERE l.agent = t.assignee AND l.resource = 'task:' || t.id AND l.token = t.claim_token AND l.expires_at > ?) "
                + "ORDER BY t.id", tx.now());
    }

    @Override
    public Optional<Event> lastLeaseEnd(String agent, String resource, long token) {
        // the token is in the details (JSON): the newest few ends of the agent's leases on the task, filtered here
        return tx.queryEvents("SELECT " + EVENT_COLUMNS + " FROM events WHERE " + TASK_EVENTS + " AND agent = ? "
                + "AND kind IN ('lease.released', 'lease.force-released', 'lease.expired') ORDER BY id DESC LIMIT 20", resource, agent)
                .stream().filter(end -> end.details().get("token") instanceof Number ended && ended.longValue() == token).findFirst();
    }

    @Override
    public List<Event> history(String id, int limit) {
        List<Event> newestFirst = tx.queryEvents("SELECT " + EVENT_COLUMNS + " FROM events WHERE " + TASK_EVENTS
                + " ORDER BY id DESC LIMIT ?", "task:" + id, limit);
        List<Event> history = new ArrayList<>(newestFirst);
        Collections.reverse(history);
        return history;
    }

    @Override
    public List<Task> subtasks(Collection<String> parents) {
        if (parents.isEmpty()) {
            return List.of();
        }
        return queryTasks("SELECT " + COLUMNS + " FROM tasks t WHERE t.parent IN (" + placeholders(parents) + ") ORDER BY t.created_at, "
                + tx.dialect().insertionOrder("t"),
                parents.toArray());
    }

    @Override
    public List<Count> countByStatus(Collection<Task.Status> stored) {
        if (stored.isEmpty()) {
            return List.of();
        }
        return tx.query("SELECT shown, count(*) FROM (SELECT CASE WHEN t.status = 'open' AND EXISTS (" + UNFINISHED_BLOCKER
                + ") THEN 'blocked' ELSE t.status END AS shown FROM tasks t WHERE t.status IN (" + placeholders(stored)
                + ")) s GROUP BY shown ORDER BY shown", row -> new Count(row.getString(1), null, row.getLong(2)),
                stored.stream().map(Task.Status::label).toArray());
    }

    @Override
    public List<Count> countByAssignee() {
        return tx.query("SELECT assignee, status, count(*) FROM tasks WHERE assignee IS NOT NULL GROUP BY assignee, status "
                + "ORDER BY assignee, status", row -> new Count(row.getString(1), row.getString(2), row.getLong(3)));
    }

    @Override
    public List<Count> countByParent(Collection<String> parents) {
        if (parents != null && parents.isEmpty()) {
            return List.of();
        }
        List<Count> counts = new ArrayList<>();
        tx.query("SELECT parent, sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END), count(*) FROM tasks WHERE "
                + (parents == null ? "parent IS NOT NULL" : "parent IN (" + placeholders(parents) + ")") + " GROUP BY parent ORDER BY parent",
                row -> {
                    counts.add(new Count(row.getString(1), "done", row.getLong(2)));
                    counts.add(new Count(row.getString(1), "total", row.getLong(3)));
                    return null;
                }, parents == null ? new Object[0] : parents.toArray());
        return counts;
    }

    @Override
    public List<Count> countActiveAgents(Collection<String> ids) {
        if (ids != null && ids.isEmpty()) {
            return List.of();
        }
        List<Object> args = new ArrayList<>();
        if (ids != null) {
            ids.forEach(id -> args.add("task:" + id));
        }
        args.add(tx.now());
        return tx.query("SELECT substr(l.resource, 6), count(DISTINCT l.agent) FROM leases l JOIN agents a ON a.id = l.agent WHERE "
                + (ids == null ? "l.anchor >= 'task:' AND l.anchor < 'task;'" : "l.anchor IN (" + placeholders(ids) + ")")
                + " AND l.expires_at > ? AND a.status <> 'gone' GROUP BY l.resource ORDER BY l.resource",
                row -> new Count(row.getString(1), null, row.getLong(2)), args.toArray());
    }

    @Override
    public long lastEventId() {
        return tx.queryLong("SELECT coalesce(max(id), 0) FROM events");
    }

    @Override
    public List<Task> allTasks() {
        return queryTasks("SELECT " + COLUMNS + " FROM tasks t ORDER BY t.created_at, " + tx.dialect().insertionOrder("t"));
    }

    @Override
    public List<Link> allLinks() {
        return tx.query("SELECT from_task, to_task, kind FROM task_links ORDER BY 1, 2, 3", TaskSql::link);
    }

    private static Link link(java.sql.ResultSet row) throws java.sql.SQLException {
        return new Link(row.getString(1), row.getString(2), Kind.valueOf(row.getString(3).toUpperCase(Locale.ROOT)));
    }

    private static String kind(Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    /** "?, ?, ?": one placeholder per value. */
    private static String placeholders(Collection<?> values) {
        return String.join(", ", Collections.nCopies(values.size(), "?"));
    }

    /** The tasks the query finds, with their labels read in one more query. */
    private List<Task> queryTasks(String sql, Object... args) {
        List<Task> bare = tx.query(sql, row -> new Task(row.getString(1), row.getString(2), row.getString(3), Task.Status.parse(row.getString(4)),
                row.getInt(5), row.getString(6), row.getString(7), row.getString(8), JdbcTx.nullableLong(row, 9), row.getInt(10),
                row.getString(11), row.getString(12), row.getLong(13), row.getLong(14), JdbcTx.nullableLong(row, 15), List.of()), args);
        if (bare.isEmpty()) {
            return bare;
        }
        List<String> ids = bare.stream().map(Task::id).toList();
        Map<String, List<String>> labels = new HashMap<>();
        tx.query("SELECT task, label FROM task_labels WHERE task IN (" + placeholders(ids) + ") ORDER BY task, label",
                row -> labels.computeIfAbsent(row.getString(1), task -> new ArrayList<>()).add(row.getString(2)), ids.toArray());
        return bare.stream().map(task -> new Task(task.id(), task.title(), task.description(), task.status(), task.priority(), task.parent(),
                task.creator(), task.assignee(), task.claimToken(), task.progress(), task.note(), task.externalRef(), task.createdAt(),
                task.updatedAt(), task.closedAt(), List.copyOf(labels.getOrDefault(task.id(), List.of())))).toList();
    }
}
