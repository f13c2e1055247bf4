package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a PostgreSQL store is and how to log in: {@code postgresql://[user[:password]@]host[:port]/database[?options]}.
 * The password comes from the address, else from a password file, else from {@code PGPASSWORD}.
 * It is never printed: {@link #toString()} and every message show the address without it.
 */
public record PostgresAddress(String jdbcUrl, String user, String password, String shown) {

    /** Whether the text names a PostgreSQL store rather than a database kind. */
    public static boolean isAddress(String text) {
        return text != null && (text.startsWith("postgresql://") || text.startsWith("postgres://"));
    }

    /**
     * The address in {@code text}; {@code passwordFile} (may be null) holds the password on its
     * first line; {@code environment} gives {@code PGUSER} and {@code PGPASSWORD} when the address does not.
     */
    public static PostgresAddress parse(String text, Path passwordFile, Map<String, String> environment) {
        URI uri;
        try {
            uri = new URI(text.startsWith("postgres://") ? "postgresql://" + text.substring("postgres://".length()) : text);
        } catch (URISyntaxException e) {
            throw SwarmException.badInput("bad PostgreSQL address (expected postgresql://user@host:port/database): " + redact(text));
        }
        if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
            throw SwarmException.badInput("the PostgreSQL address names no host or no database (expected postgresql://user@host:port/database): "
                    + redact(text));
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length == 2 ? decode(parts[1]) : null;
        }
        if (user == null || user.isEmpty()) {
            user = environment.getOrDefault("PGUSER", System.getProperty("user.name"));
        }
        if (password == null && passwordFile != null) {
            try {
                password = Files.readAllLines(passwordFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
            } catch (IOException e) {
                throw SwarmException.badInput("cannot read the store's password file " + passwordFile + ": " + e.getMessage());
            }
        }
        if (password == null) {
            password = environment.get("PGPASSWORD");
        }
        String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        String jdbcUrl = "jdbc:postgresql://" + hostPort + uri.getRawPath() + query;
        return new PostgresAddress(jdbcUrl, user, password, "postgresql://" + user + "@" + hostPort + uri.getRawPath() + redact(query));
    }

    private static String decode(String part) {
        return URLDecoder.decode(part, StandardCharsets.UTF_8);
    }

    /** The text with its passwords (between {@code //user:} and {@code @}, or an option password=) replaced. */
    static String redact(String text) {
        return text.replaceAll("(//[^/:@]*):[^@/]*@", "$1:***@").replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    @Override
    public String toString() {
        return shown;
    }
}
