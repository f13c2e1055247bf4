package dev.swarmhub.messages;

import dev.swarmhub.kernel.SwarmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a full-text search looks for: words that must all occur in a message's text; a word
 * written with a trailing {@code *} matches any word it starts. Only words, never a database's
 * query syntax: each store builds its own query from them, so "foo-bar" finds foo-bar, not foo
 * without bar.
 */
public record SearchWords(List<Word> words) {

    public record Word(String text, boolean prefix) {
    }

    public SearchWords {
        words = List.copyOf(words);
    }

    /** The words of what a user typed, split at white space; refused when empty or holding control characters. */
    public static SearchWords parse(String query) {
        if (query == null || query.isBlank()) {
            throw SwarmException.badInput("empty search query");
        }
        // stored text never holds them (MessageText removes them), and a database may not parse them (SQLite's FTS5: a NUL)
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (Character.isISOControl(c) && !Character.isWhitespace(c)) {
                throw SwarmException.badInput(String.format(Locale.ROOT, "the search query has a control character (U+%04X) at "
                        + "position %d: search for words only", (int) c, i + 1));
            }
        }
        List<Word> words = new ArrayList<>();
        for (String word : query.strip().split("\\s+")) {
            boolean prefix = word.endsWith("*") && word.length() > 1;
            words.add(new Word(prefix ? word.substring(0, word.length() - 1) : word, prefix));
        }
        return new SearchWords(words);
    }
}
