package dev.swarmhub.store;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.plan.PlanStore;
import dev.swarmhub.plan.Section;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;

/** The coordination document's rows in portable SQL; its history is read through the partial indexes on 'doc:' events. */
final class PlanSql implements PlanStore {

    private static final String COLUMNS = "id, name, position, version, text, changed_at, changed_by";
    private static final String DOC_EVENTS = "resource >= 'doc:' AND resource < 'doc;'";
    private static final String EVENT_COLUMNS = "id, at, kind, agent, resource, details";

    private final JdbcTx tx;

    PlanSql(JdbcTx tx) {
        this.tx = tx;
    }

    @Override
    public OptionalLong revision() {
        List<Long> revision = tx.query("SELECT revision FROM plan WHERE only_row = 1", row -> row.getLong(1));
        return revision.isEmpty() ? OptionalLong.empty() : OptionalLong.of(revision.getFirst());
    }

    @Override
    public void setRevision(long revision) {
        if (tx.update("UPDATE plan SET revision = ? WHERE only_row = 1", revision) == 0) {
            tx.update("INSERT INTO plan (only_row, revision) VALUES (1, ?)", revision);
        }
    }

    @Override
    public List<Section> sections() {
        return tx.query("SELECT " + COLUMNS + " FROM plan_sections ORDER BY position, id", row -> new Section(row.getString(1),
                row.getString(2), row.getInt(3), row.getLong(4), row.getString(5), row.getLong(6), row.getString(7)));
    }

    @Override
    public void insertSection(Section section) {
        tx.update("INSERT INTO plan_sections (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)", section.id(), section.name(),
                section.position(), section.version(), section.text(), section.changedAt(), section.changedBy());
    }

    @Override
    public void updateSection(Section section) {
        tx.update("UPDATE plan_sections SET name = ?, position = ?, version = ?, text = ?, changed_at = ?, changed_by = ? WHERE id = ?",
                section.name(), section.position(), section.version(), section.text(), section.changedAt(), section.changedBy(), section.id());
    }

    @Override
    public void deleteSection(String id) {
        tx.update("DELETE FROM plan_sections WHERE id = ?", id);
    }

    @Override
    public List<Event> history(String sectionId, int limit) {
        List<Event> newestFirst = sectionId == null
                ? tx.queryEvents("SELECT " + EVENT_COLUMNS + " FROM events WHERE " + DOC_EVENTS + " ORDER BY id DESC LIMIT ?", limit)
                : tx.queryEvents("SELECT " + EVENT_COLUMNS + " FROM events WHERE resource = ? AND " + DOC_EVENTS + " ORDER BY id DESC LIMIT ?",
                        "doc:" + sectionId, limit);
        List<Event> history = new ArrayList<>(newestFirst);
        Collections.reverse(history);
        return history;
    }
}
