package dev.swarmhub.store;

import dev.swarmhub.messages.SearchWords;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL: full-text search on the messages' own {@code text_search} column (kept by the
 * database), insertion order by the {@code seq} identity columns.
 */
final class PostgresDialect implements Dialect {

    static final PostgresDialect INSTANCE = new PostgresDialect();

    private PostgresDialect() {
    }

    @Override
    public String indexMessageText() {
        return null; // a generated column
    }

    @Override
    public String unindexMessageTexts() {
        return null;
    }

    @Override
    public TextSearch textSearch(SearchWords words) {
        String query = tsQuery(words);
        return new TextSearch("messages m CROSS JOIN to_tsquery('simple', ?) q", query == null ? "FALSE" : "m.text_search @@ q",
                query == null ? "'nothing'" : query, "ts_rank(m.text_search, q) DESC, m.created_at DESC");
    }

    /**
     * Every word must occur; a word of several parts (foo-bar) as those parts one after another,
     * each part a quoted lexeme of letters and digits, so that user text is never query syntax (NOT, !, &amp;, quotes).
     * Punctuation alone is no word; null when no word is left (nothing matches).
     */
    static String tsQuery(SearchWords words) {
        List<String> all = new ArrayList<>();
        for (SearchWords.Word word : words.words()) {
            List<String> parts = new ArrayList<>();
            for (String part : word.text().split("[^\\p{L}\\p{N}_]+")) {
                if (!part.isEmpty()) {
                    parts.add("'" + part + "'"); // letters and digits only: nothing in it is syntax
                }
            }
            if (!parts.isEmpty()) {
                if (word.prefix()) {
                    parts.set(parts.size() - 1, parts.getLast() + ":*");
                }
                all.add("(" + String.join(" <-> ", parts) + ")");
            }
        }
        return all.isEmpty() ? null : String.join(" & ", all);
    }

    @Override
    public String insertionOrder(String alias) {
        return alias + ".seq";
    }
}
