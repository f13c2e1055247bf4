package dev.swarmhub.store;

import dev.swarmhub.messages.SearchWords;

/**
 * What differs between the databases the SQL classes run on; the rest of their SQL is portable.
 * One instance per database: {@link SqliteDialect} (a PostgreSQL one comes with its store).
 */
interface Dialect {

    /**
     * The statement that indexes a stored message's text for search, with parameters (id, text);
     * null when the database indexes the messages table by itself.
     */
    String indexMessageText();

    /** The statement that removes indexed texts, to be followed by " IN (ids)"; null when the database's index follows the table. */
    String unindexMessageTexts();

    /**
     * The search for messages whose text holds the words: what to select from (the messages as
     * {@code m}), the condition with one parameter, that parameter, and the order best match first.
     */
    TextSearch textSearch(SearchWords words);

    record TextSearch(String from, String where, Object parameter, String bestFirst) {
    }

    /** The column that orders a table's rows by insertion, for the table's alias (ties of equal times). */
    String insertionOrder(String alias);
}
