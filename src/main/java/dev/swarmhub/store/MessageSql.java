package dev.swarmhub.store;

import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageStore;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.SearchWords;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The message rows in portable SQL; full-text search and insertion order come from the database's {@link Dialect}. */
final class MessageSql implements MessageStore {

    private static final String MESSAGE_COLUMNS = "id, sender, type, priority, thread, reply_to, text, ack_required, created_at, signature";
    private static final String RECIPIENT_COLUMNS = "recipient, stored_at, delivered_at, read_at, acked_at, attempts, next_retry_at, "
            + "escalated, pane";

    private final JdbcTx tx;

    MessageSql(JdbcTx tx) {
        this.tx = tx;
    }

    @Override
    public void insertMessage(Message message) {
        tx.update("INSERT INTO messages (" + MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", message.id(), message.sender(),
                message.type().label(), message.priority(), message.thread(), message.replyTo(), message.text(),
                message.ackRequired() ? 1 : 0, message.createdAt(), message.signature());
        for (Message.Recipient recipient : message.recipients()) {
            tx.update("INSERT INTO message_recipients (message_id, recipient, stored_at, attempts, next_retry_at, pane) VALUES (?, ?, ?, 1, ?, ?)",
                    message.id(), recipient.agent(), recipient.storedAt(), recipient.nextRetryAt(), recipient.pane());
        }
        String indexText = tx.dialect().indexMessageText();
        if (indexText != null) {
            tx.update(indexText, message.id(), message.text());
        }
    }

    @Override
    public List<Message> settledBefore(long time, int limit) {
        return queryMessages("SELECT " + MESSAGE_COLUMNS + " FROM messages m WHERE created_at < ? AND NOT EXISTS ("
                + "SELECT 1 FROM message_recipients r JOIN agents a ON a.id = r.recipient WHERE r.message_id = m.id AND a.status <> 'gone' "
                + "AND r.acked_at IS NULL AND (m.ack_required <> 0 OR r.read_at IS NULL)) ORDER BY created_at, "
                + tx.dialect().insertionOrder("m") + " LIMIT ?", time, limit);
    }

    @Override
    public void deleteMessages(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        String in = " IN (" + JdbcTx.placeholders(ids.size()) + ")";
        String unindex = tx.dialect().unindexMessageTexts();
        if (unindex != null) {
            tx.update(unindex + in, ids.toArray());
        }
        tx.update("DELETE FROM message_recipients WHERE message_id" + in, ids.toArray());
        tx.update("DELETE FROM messages WHERE id" + in, ids.toArray());
    }

    @Override
    public Optional<Message> message(String id) {
        return queryMessages("SELECT " + MESSAGE_COLUMNS + " FROM messages WHERE id = ?", id).stream().findFirst();
    }

    @Override
    public List<String> messageIdsStartingWith(String prefix, int limit) {
        return tx.idsStartingWith("messages", prefix, limit);
    }

    @Override
    public List<Message> inbox(String recipient, boolean unreadOnly, int limit) {
        return queryMessages("SELECT m.id, m.sender, m.type, m.priority, m.thread, m.reply_to, m.text, m.ack_required, m.created_at, "
                + "m.signature FROM message_recipients r JOIN messages m ON m.id = r.message_id WHERE r.recipient = ?"
                + (unreadOnly ? " AND r.read_at IS NULL" : "") + " ORDER BY m.created_at, " + tx.dialect().insertionOrder("m") + " LIMIT ?",
                recipient, limit);
    }

    @Override
    public List<Message> thread(String threadId) {
        return queryMessages("SELECT " + MESSAGE_COLUMNS + " FROM messages m WHERE thread = ? ORDER BY created_at, "
                + tx.dialect().insertionOrder("m"), threadId);
    }

    @Override
    public List<Message> recent(String visibleTo, String beforeId, int limit) {
        String order = tx.dialect().insertionOrder("m");
        List<Object> args = new ArrayList<>();
        StringBuilder where = new StringBuilder("1 = 1");
        if (beforeId != null) { // ids order by the millisecond only: a page ends where its last message was stored
            where.append(" AND (m.created_at, ").append(order).append(") < (SELECT b.created_at, ").append(tx.dialect().insertionOrder("b"))
                    .append(" FROM messages b WHERE b.id = ?)");
            args.add(beforeId);
        }
        if (visibleTo != null) {
            where.append(" AND (m.sender = ? OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.recipient = ?))");
            args.addAll(List.of(visibleTo, visibleTo));
        }
        args.add(limit);
        return queryMessages("SELECT m.id, m.sender, m.type, m.priority, m.thread, m.reply_to, m.text, m.ack_required, m.created_at, "
                + "m.signature FROM messages m WHERE " + where + " ORDER BY m.created_at DESC, " + order + " DESC LIMIT ?", args.toArray());
    }

    @Override
    public List<Message> searchMessages(SearchWords words, String visibleTo, int limit) {
        Dialect.TextSearch search = tx.dialect().textSearch(words);
        String visible = visibleTo == null ? "" : " AND (m.sender = ? OR EXISTS (SELECT 1 FROM message_recipients r "
                + "WHERE r.message_id = m.id AND r.recipient = ?))";
        List<Object> args = new ArrayList<>(List.of(search.parameter()));
        if (visibleTo != null) {
            args.addAll(List.of(visibleTo, visibleTo));
        }
        args.add(limit);
        return queryMessages("SELECT m.id, m.sender, m.type, m.priority, m.thread, m.reply_to, m.text, m.ack_required, m.created_at, "
                + "m.signature FROM " + search.from() + " WHERE " + search.where() + visible
                + " ORDER BY " + search.bestFirst() + " LIMIT ?", args.toArray());
    }

    @Override
    public Optional<Long> nthNewestSentAfter(String sender, long since, int nth) {
        return tx.query("SELECT created_at FROM messages WHERE sender = ? AND created_at > ? ORDER BY created_at DESC LIMIT 1 OFFSET ?",
                row -> row.getLong(1), sender, since, nth - 1).stream().findFirst();
    }

    @Override
    public boolean markReceived(String messageId, String recipient, boolean read, boolean acked) {
        return tx.update("UPDATE message_recipients SET delivered_at = coalesce(delivered_at, ?), "
                + "read_at = CASE WHEN ? THEN coalesce(read_at, ?) ELSE read_at END, "
                + "acked_at = CASE WHEN ? THEN coalesce(acked_at, ?) ELSE acked_at END, "
                + "next_retry_at = CASE WHEN ? THEN NULL ELSE next_retry_at END "
                + "WHERE message_id = ? AND recipient = ?", tx.now(), read || acked, tx.now(), acked, tx.now(), acked, messageId, recipient) > 0;
    }

    @Override
    public List<RetryDue> retriesDue(long at, String messageId) {
        return tx.query("SELECT message_id, recipient, attempts FROM message_recipients WHERE next_retry_at IS NOT NULL "
                + "AND next_retry_at <= ? AND acked_at IS NULL AND (CAST(? AS TEXT) IS NULL OR message_id = ?) ORDER BY next_retry_at",
                row -> new RetryDue(row.getString(1), row.getString(2), row.getInt(3)), at, messageId, messageId);
    }

    @Override
    public void redeliver(String messageId, String recipient, int attempts, long nextRetryAt, boolean queueForPane) {
        tx.update("UPDATE message_recipients SET attempts = ?, next_retry_at = ?, read_at = NULL, "
                + "pane = CASE WHEN ? THEN 'pending' ELSE pane END WHERE message_id = ? AND recipient = ?",
                attempts, nextRetryAt, queueForPane, messageId, recipient);
    }

    @Override
    public void markEscalated(String messageId, String recipient) {
        tx.update("UPDATE message_recipients SET next_retry_at = NULL, escalated = 1 WHERE message_id = ? AND recipient = ?",
                messageId, recipient);
    }

    @Override
    public List<PendingTyping> pendingTypings(String host, int limit) {
        return tx.query("SELECT r.message_id, r.recipient, a.pane FROM message_recipients r JOIN agents a ON a.id = r.recipient "
                + "WHERE r.pane = 'pending' AND a.pane IS NOT NULL AND a.status <> 'gone' AND a.session IS NULL AND a.host = ? " // Agent.hasLivePane
                + "AND a.activity = 'idle' " // Agent.idle: a busy agent's queue never fills the batch that idle panes wait behind
                + "ORDER BY r.stored_at, "
                + tx.dialect().insertionOrder("r") + " LIMIT ?",
                row -> new PendingTyping(row.getString(1), row.getString(2), row.getString(3)), host, limit);
    }

    @Override
    public long countAwaitingAck() {
        return tx.queryLong("SELECT count(*) FROM message_recipients r JOIN messages m ON m.id = r.message_id "
                + "WHERE m.ack_required = 1 AND r.acked_at IS NULL");
    }

    @Override
    public void setPaneOutcome(String messageId, String recipient, String outcome, boolean delivered) {
        tx.update("UPDATE message_recipients SET pane = ?, delivered_at = CASE WHEN ? THEN coalesce(delivered_at, ?) ELSE delivered_at END "
                + "WHERE message_id = ? AND recipient = ?", outcome, delivered, tx.now(), messageId, recipient);
    }

    private List<Message> queryMessages(String sql, Object... args) {
        List<Message> bare = tx.query(sql, row -> new Message(row.getString(1), row.getString(2), MessageType.stored(row.getString(3)),
                row.getString(4), row.getString(5), row.getString(6), row.getString(7), row.getInt(8) != 0, row.getLong(9),
                row.getString(10), List.of()), args);
        List<Message> complete = new ArrayList<>(bare.size());
        for (Message message : bare) {
            List<Message.Recipient> recipients = tx.query("SELECT " + RECIPIENT_COLUMNS + " FROM message_recipients WHERE message_id = ? "
                    + "ORDER BY recipient", row -> new Message.Recipient(row.getString(1), row.getLong(2), JdbcTx.nullableLong(row, 3),
                    JdbcTx.nullableLong(row, 4), JdbcTx.nullableLong(row, 5), row.getInt(6), JdbcTx.nullableLong(row, 7), row.getInt(8) != 0,
                    row.getString(9)), message.id());
            complete.add(new Message(message.id(), message.sender(), message.type(), message.priority(), message.thread(),
                    message.replyTo(), message.text(), message.ackRequired(), message.createdAt(), message.signature(), recipients));
        }
        return complete;
    }
}
