package dev.swarmhub.hub;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Host headers the HTTP server answers (against DNS rebinding, where a browser page of another
 * site sends that site's name): the loopback names and the bind address, with the server's port.
 * A server listening on every address (--bind 0.0.0.0 or ::, with --allow-remote) also answers to
 * this machine's name and to any address its interfaces have when the request comes (addresses
 * come and go with the network), which is what a remote client puts in its Host header.
 */
final class ServedHosts {

    /** An address literal: dotted IPv4, or IPv6 in brackets; nothing a resolver would look up. */
    private static final Pattern ADDRESS = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|\\[[0-9a-f:.]+]");

    private final Set<String> names = new HashSet<>();
    private final boolean everyAddress;
    private volatile String portSuffix;

    ServedHosts(String bind) {
        names.addAll(List.of("127.0.0.1", "localhost", "[::1]", bind.toLowerCase(Locale.ROOT)));
        everyAddress = isWildcard(bind);
        if (everyAddress) {
            try {
                InetAddress self = InetAddress.getLocalHost();
                names.add(self.getHostName().toLowerCase(Locale.ROOT));
                names.add(self.getCanonicalHostName().toLowerCase(Locale.ROOT));
            } catch (IOException unnamed) {
                // a machine without a resolvable name is reached by its addresses
            }
        }
    }

    /** Call once the server listens: Host headers must name its port. */
    void servingOn(int port) {
        portSuffix = ":" + port;
    }

    boolean allows(String hostHeader) {
        String host = hostHeader.toLowerCase(Locale.ROOT);
        String suffix = portSuffix;
        if (suffix == null || !host.endsWith(suffix)) {
            return false;
        }
        String name = host.substring(0, host.length() - suffix.length());
        return names.contains(name) || everyAddress && ADDRESS.matcher(name).matches() && isOwnAddress(name);
    }

    private static boolean isWildcard(String bind) {
        try {
            return InetAddress.getByName(bind).isAnyLocalAddress();
        } catch (IOException notAnAddress) {
            return false;
        }
    }

    private static boolean isOwnAddress(String literal) {
        try {
            return NetworkInterface.getByInetAddress(InetAddress.getByName(literal)) != null;
        } catch (IOException notOurs) {
            return false;
        }
    }
}
