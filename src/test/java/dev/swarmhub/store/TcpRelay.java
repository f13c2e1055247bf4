package dev.swarmhub.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on the loopback to a server's port that misbehaves as networks do, on demand: it
 * holds new connections before they reach the server ({@link #hold}), or freezes the open ones
 * ({@link #freeze}: nothing passes either way and nothing is closed, as when the server's machine
 * vanished without a word: a half-open connection). Otherwise it passes bytes and closes as the
 * ends do.
 */
final class TcpRelay implements AutoCloseable {

    private final ServerSocket listening;
    private final int serverPort;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger held = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile CountDownLatch gate = new CountDownLatch(0);

    TcpRelay(int serverPort) throws IOException {
        this.serverPort = serverPort;
        this.listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("relay accepting").start(this::accept);
    }

    int port() {
        return listening.getLocalPort();
    }

    /** New connections wait, before reaching the server, until {@link #release}. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void release() {
        gate.countDown();
    }

    /** How many connections wait in {@link #hold}. */
    int held() {
        return held.get();
    }

    /** How many connections are open: held, or passing bytes (or frozen). */
    int connections() {
        return held.get() + links.size();
    }

    /** The connections open now stop passing bytes, either way, and stay open; later ones pass. */
    void freeze() {
        links.forEach(link -> link.frozen = true);
    }

    private void accept() {
        while (!listening.isClosed()) {
            try {
                Socket client = listening.accept();
                sockets.add(client);
                Thread.ofVirtual().start(() -> connect(client));
            } catch (IOException relayClosed) {
                return;
            }
        }
    }

    private void connect(Socket client) {
        CountDownLatch waitFor = gate;
        held.incrementAndGet();
        try {
            waitFor.await();
            Socket server = new Socket(InetAddress.getLoopbackAddress(), serverPort);
            sockets.add(server);
            Link link = new Link();
            links.add(link); // before it stops counting as held: connections() never misses it
            Thread.ofVirtual().start(() -> link.pass(client, server));
            Thread.ofVirtual().start(() -> link.pass(server, client));
        } catch (IOException | InterruptedException failed) {
            closeQuietly(client);
        } finally {
            held.decrementAndGet();
        }
    }

    /** One client's connection through the relay. */
    private final class Link {
        volatile boolean frozen;

        void pass(Socket from, Socket to) {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int read = in.read(buffer); read > 0; read = in.read(buffer)) {
                    if (frozen) {
                        closed.await(); // the bytes go nowhere, and neither end hears of it
                        return;
                    }
                    out.write(buffer, 0, read);
                }
            } catch (IOException | InterruptedException ended) {
                // one end closed: the other is closed below, as the network would tell it
            } finally {
                if (!frozen) { // a frozen link tells neither end anything: the relay's close() ends it
                    closeQuietly(from);
                    closeQuietly(to);
                    links.remove(this);
                }
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listening.close();
        gate.countDown();
        closed.countDown();
        sockets.forEach(TcpRelay::closeQuietly);
    }
}
