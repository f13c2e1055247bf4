package dev.swarmhub.store;

import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Where a PostgreSQL store is and how to log in: {@code postgresql://[user[:password]@]host[:port]/database[?options]}.
 * The password comes from the address, else from a password file, else from {@code PGPASSWORD}.
 * It is never printed: {@link #toString()} and every message show the address without it.
 * Characters a URL reserves ({@code @ / : ? #}) are written percent-encoded in the user and the
 * password ({@code %40 %2F %3A %3F %23}); an address where they stand raw is refused, unshown.
 */
public record PostgresAddress(String jdbcUrl, String user, String password, String shown) {

    /** The environment variables an address takes its user and password from, when it does not say them. */
    static final Set<String> ENVIRONMENT = Set.of("PGUSER", "PGPASSWORD");
    private static final String ENCODING_HINT = " (a user's or password's @, /, :, ? and # are written %40, %2F, %3A, %3F and %23)";

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
            throw SwarmException.badInput("bad PostgreSQL address (expected postgresql://user@host:port/database): " + redact(text)
                    + ENCODING_HINT);
        }
        if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
            throw SwarmException.badInput("the PostgreSQL address names no host or no database (expected postgresql://user@host:port/database): "
                    + redact(text) + ENCODING_HINT);
        }
        if (uri.getRawPath().substring(1).matches(".*[/@].*")) {
            // a raw @ or / of a password ends the user information early: the rest of the password would pass for the database
            throw SwarmException.badInput("the PostgreSQL address's database name holds a raw / or @: " + redact(text) + ENCODING_HINT);
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw SwarmException.badInput("the PostgreSQL address's port " + uri.getPort() + " is not a port number (1 to 65535): " + redact(text));
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
        if (uri.getRawQuery() != null && Arrays.stream(uri.getRawQuery().split("&"))
                .anyMatch(option -> option.startsWith("splitStatements=") && !option.equalsIgnoreCase("splitStatements=true"))) {
            // the store sends a transaction's opening and its clock as two statements in one round trip
            throw SwarmException.badInput("the PostgreSQL address turns off splitStatements, which the store needs: drop that option: " + redact(text));
        }
        String jdbcUrl = "jdbc:postgresql://" + hostPort + uri.getRawPath() + query;
        return new PostgresAddress(jdbcUrl, user, password, "postgresql://" + user + "@" + hostPort + uri.getRawPath() + redact(query));
    }

    /** Percent-decoding as URLs have it: a + stays a + (URLDecoder, made for forms, would make it a space). */
    private static String decode(String part) {
        return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /**
     * The text with its passwords replaced: from the first {@code :} after {@code //} to the last
     * {@code @} (a password's raw {@code @ / : ? #} included), and an option {@code password=} to
     * the end. When an option holds an {@code @} this hides more than the password, never less.
     */
    static String redact(String text) {
        return withUserInfoPassword(text, ":***").replaceAll("(?is)(password=).*", "$1***");
    }

    /**
     * The text without its passwords, for a process that must not log in with them: the user
     * information's, and from the first option naming a password ({@code password=},
     * {@code sslpassword=}) to the end, as {@link #redact} hides them.
     */
    static String withoutPassword(String text) {
        return withUserInfoPassword(text, "").replaceAll("(?is)[?&][^?&]*password=.*", "");
    }

    /** The text with the user information's password (from the first {@code :} after {@code //} to the last {@code @}) replaced. */
    private static String withUserInfoPassword(String text, String replacement) {
        int authority = text.indexOf("//");
        int userInfoEnd = text.lastIndexOf('@');
        int passwordStart = authority < 0 ? -1 : text.indexOf(':', authority + 2);
        if (passwordStart >= 0 && passwordStart < userInfoEnd) {
            return text.substring(0, passwordStart) + replacement + text.substring(userInfoEnd);
        }
        return text;
    }

    @Override
    public String toString() {
        return shown;
    }
}
