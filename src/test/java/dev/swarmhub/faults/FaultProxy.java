package dev.swarmhub.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy between one client and its hub, which the nemesis turns faulty: DROP resets
 * every open connection and each new one at once; STALL holds every byte (as a partition where TCP
 * keeps retransmitting) and delivers it when healed, so a request the client gave up on may still
 * reach the hub; DELAY holds each chunk for a while in both directions. While the hub is down
 * it answers 502 itself (see {@link #unreachable}). One virtual thread per direction of each
 * connection.
 */
final class FaultProxy implements AutoCloseable {

    enum Mode {
        PASS, DROP, STALL, DELAY
    }

    /** The error code of the proxy's own answer when the hub is down. */
    static final String UNREACHABLE = "unreachable";
    private static final int DRAIN_MS = 5_000;

    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Object modeChanged = new Object();
    private volatile Mode mode = Mode.PASS;
    private volatile long delayMs;

    FaultProxy(int targetPort) {
        this.targetPort = targetPort;
        try {
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().name("proxy-" + server.getLocalPort()).start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    int targetPort() {
        return targetPort;
    }

    /** Sets how connections behave from now on; DROP also resets the open ones. */
    void set(Mode newMode, long newDelayMs) {
        synchronized (modeChanged) {
            delayMs = newDelayMs;
            mode = newMode;
            modeChanged.notifyAll();
        }
        if (newMode == Mode.DROP) {
            open.forEach(FaultProxy::reset);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (mode == Mode.DROP) {
                    reset(client);
                    continue;
                }
                Socket hub = new Socket();
                open.add(client);
                open.add(hub);
                Thread.ofVirtual().start(() -> connect(client, hub));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void connect(Socket client, Socket hub) {
        try {
            hub.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
        } catch (IOException refused) {
            unreachable(client);
            close(client, hub);
            return;
        }
        Thread.ofVirtual().start(() -> pump(hub, client));
        pump(client, hub);
    }

    /**
     * The hub is down (killed, not restarted yet) and nothing of the request reached it: the client
     * is told so ({@value #UNREACHABLE}, 502), so it records a certain failure, not an unknown. The
     * request is read to its end, so closing sends no reset ahead of the answer.
     */
    private static void unreachable(Socket client) {
        byte[] body = ("{\"error\":{\"code\":\"" + UNREACHABLE + "\",\"message\":\"fault proxy: the hub refused the connection, "
                + "nothing was sent to it\"}}").getBytes(StandardCharsets.UTF_8);
        try {
            OutputStream out = client.getOutputStream();
            out.write(("HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            client.shutdownOutput();
            client.setSoTimeout(DRAIN_MS);
            client.getInputStream().transferTo(OutputStream.nullOutputStream()); // until the client closes its side
        } catch (IOException gone) {
            // the client left first: nothing more to tell it
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                hold();
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException | InterruptedException ended) {
            // one side closed or was reset: end both
        } finally {
            close(from, to);
        }
    }

    /** Waits as the current mode says before a chunk passes: while STALL lasts, or DELAY's time. */
    private void hold() throws InterruptedException, IOException {
        synchronized (modeChanged) {
            while (mode == Mode.STALL) {
                modeChanged.wait();
            }
        }
        if (mode == Mode.DROP) {
            throw new IOException("dropped");
        }
        if (mode == Mode.DELAY) {
            Thread.sleep(delayMs); // the fault itself: the chunk is late by this much
        }
    }

    private void close(Socket a, Socket b) {
        for (Socket socket : new Socket[] {a, b}) {
            open.remove(socket);
            try {
                socket.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    /** Closes with SO_LINGER 0: the peer gets a reset, as when a connection is cut. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        set(Mode.DROP, 0);
    }
}
