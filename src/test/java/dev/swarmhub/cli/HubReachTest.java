package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.testing.FullBacklog;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
        try (ServerSocketChannel pausedHub = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address, 1)) {
            assertThat(SwarmClient.reach(root, Duration.ofSeconds(30))).as("a free backlog takes the connection").isEqualTo(SwarmClient.Reach.ACCEPTED);
            try (FullBacklog ignored = FullBacklog.of(address.getPath())) {
                assertThat(SwarmClient.reach(root, Duration.ofMillis(200))).isEqualTo(SwarmClient.Reach.SILENT);
            }
        }
        Files.delete(address.getPath());
        assertThat(SwarmClient.reach(root, Duration.ofSeconds(30))).isEqualTo(SwarmClient.Reach.REFUSED);
    }

    @Test
    void aHookIsRelayedInOneConnectionWhichAFullBacklogCutsAfterTheHooksLimitWhateverTheHub() throws Exception {
        Files.createDirectories(root.resolve(".swarm"));
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(HubFiles.socket(root));
        String[] hook = {HookCommand.NAME, "claude", "{}"};
        try (ServerSocketChannel hub = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address, 1)) {
            CompletableFuture<CliFrames.Response> relayed = CompletableFuture.supplyAsync(() -> {
                try {
                    return SwarmClient.relayHook(root, hook, Map.of(), root);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SocketChannel client = hub.accept()) {
                assertThat(CliFrames.readRequest(CliFrames.input(client)).args()).containsExactly(hook);
                CliFrames.writeResponse(CliFrames.output(client), new CliFrames.Response(0, "context\n", ""));
            }
            assertThat(relayed.get()).isEqualTo(new CliFrames.Response(0, "context\n", ""));
            hub.configureBlocking(false);
            assertThat(hub.accept()).as("a second connection for the same hook").isNull();

            hub.configureBlocking(true);
            // no hub.json: a hub that announces no marks, whose silence no exchange counts; the hook's connect is cut all the same
            try (FullBacklog ignored = FullBacklog.of(address.getPath())) {
                assertThatThrownBy(() -> SwarmClient.relayHook(root, hook, Map.of(), root)).isInstanceOf(SwarmClient.HubSilentException.class);
            }
        }
    }
}
