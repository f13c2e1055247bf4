package dev.swarmhub.store;

import dev.swarmhub.messages.SearchWords;
import java.util.ArrayList;
import java.util.List;

/** SQLite: full-text search in the FTS5 table {@code messages_fts}, insertion order by {@code rowid}. */
final class SqliteDialect implements Dialect {

    static final SqliteDialect INSTANCE = new SqliteDialect();

    private SqliteDialect() {
    }

    @Override
    public String indexMessageText() {
        return "INSERT INTO messages_fts (id, text) VALUES (?, ?)";
    }

    @Override
    public String unindexMessageTexts() {
        return "DELETE FROM messages_fts WHERE id";
    }

    @Override
    public TextSearch textSearch(SearchWords words) {
        return new TextSearch("messages_fts f JOIN messages m ON m.id = f.id", "messages_fts MATCH ?", ftsQuery(words), "f.rank");
    }

    /** Each word quoted, so that user text is never FTS5 syntax: "foo-bar" finds foo-bar, not foo NOT bar. */
    static String ftsQuery(SearchWords words) {
        List<String> terms = new ArrayList<>();
        for (SearchWords.Word word : words.words()) {
            terms.add("\"" + word.text().replace("\"", "\"\"") + "\"" + (word.prefix() ? "*" : ""));
        }
        return String.join(" ", terms);
    }

    @Override
    public String insertionOrder(String alias) {
        return alias + ".rowid";
    }
}
