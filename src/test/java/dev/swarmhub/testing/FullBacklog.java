package dev.swarmhub.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections queued on a Unix socket whose listener takes none (a paused hub) until the kernel
 * refuses one more without blocking: the next blocking connect waits for room. Closing them
 * leaves the queue to the listener.
 */
public final class FullBacklog implements AutoCloseable {

    /** More than any backlog here (net.core.somaxconn is 4096): a listener that takes connections never fills. */
    private static final int MOST = 10_000;

    private final List<SocketChannel> queued = new ArrayList<>();

    private FullBacklog() {
    }

    public static FullBacklog of(Path socket) throws IOException {
        FullBacklog full = new FullBacklog();
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        while (full.queued.size() < MOST) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.configureBlocking(false);
            try {
                channel.connect(address);
                full.queued.add(channel);
            } catch (IOException noRoom) {
                channel.close();
                return full;
            }
        }
        full.close();
        throw new IllegalStateException(socket + " took " + MOST + " connections: its listener is taking them");
    }

    @Override
    public void close() throws IOException {
        for (SocketChannel channel : queued) {
            channel.close();
        }
    }
}
