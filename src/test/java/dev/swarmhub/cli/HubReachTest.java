package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.hub.HubFiles;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM client's first connection to the hub's socket: a hub that listens but takes nothing
 * (paused, its backlog full) must not block the client for good, nor be taken for no hub at all
 * (the client would start another).
 */
class HubReachTest {

    @TempDir
    Path root;

    @Test
    void aSocketWhoseBacklogIsFullIsSilentAndOneNobodyListensOnIsRefused() throws IOException {
        Files.createDirectories(root.resolve(".swarm"));
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(HubFiles.socket(root));
        List<SocketChannel> queued = new ArrayList<>();
        try (ServerSocketChannel pausedHub = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address, 1)) {
            assertThat(SwarmClient.reach(root, Duration.ofSeconds(30))).as("a free backlog takes the connection").isEqualTo(SwarmClient.Reach.ACCEPTED);
            fillBacklog(address, queued);

            assertThat(SwarmClient.reach(root, Duration.ofMillis(200))).isEqualTo(SwarmClient.Reach.SILENT);
        } finally {
            for (SocketChannel channel : queued) {
                channel.close();
            }
        }
        Files.delete(address.getPath());
        assertThat(SwarmClient.reach(root, Duration.ofSeconds(30))).isEqualTo(SwarmClient.Reach.REFUSED);
    }

    /** Connects without blocking until the kernel refuses one more: the listener's queue is then full. */
    private static void fillBacklog(UnixDomainSocketAddress address, List<SocketChannel> queued) throws IOException {
        while (true) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.configureBlocking(false);
            try {
                channel.connect(address);
                queued.add(channel);
            } catch (IOException full) {
                channel.close();
                return;
            }
            assertThat(queued).as("the backlog fills").hasSizeLessThan(100);
        }
    }
}
