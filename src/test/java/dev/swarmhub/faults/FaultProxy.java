package dev.swarmhub.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy between one client and its hub, which the nemesis turns faulty: DROP resets
 * every open connection and each new one at once; STALL holds every byte (as a partition where TCP
 * keeps retransmitting) and delivers it when healed, so a request the client gave up on may still
 * reach the hub; DELAY holds each chunk for a while in both directions. One virtual thread per
 * direction of each connection.
 */
final class FaultProxy implements AutoCloseable {

    enum Mode {
        PASS, DROP, STALL, DELAY
    }

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
            Thread.ofVirtual().start(() -> pump(hub, client));
            pump(client, hub);
        } catch (IOException refused) { // the hub is down: the client sees its connection closed
            close(client, hub);
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
