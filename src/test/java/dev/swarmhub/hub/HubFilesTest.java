package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the hub's socket goes: in the project while its path fits a Unix socket, else in the user's own directory. */
class HubFilesTest {

    @TempDir
    Path temporary;

    @Test
    void aProjectWhosePathFitsKeepsItsSocketInSwarm() {
        Path root = temporary.resolve("p");
        assertThat(HubFiles.socket(root)).isEqualTo(root.resolve(".swarm/hub.sock"));
    }

    @Test
    void aDeepProjectsSocketIsShortAndItsOwnAndTheSameEachTime() {
        Path deep = deep("a");
        Path other = deep("b");
        Path socket = HubFiles.socket(deep);
        assertThat(deep.resolve(".swarm/hub.sock").toString().length()).isGreaterThan(HubFiles.SOCKET_PATH_LIMIT);
        assertThat(socket.toString().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(HubFiles.SOCKET_PATH_LIMIT);
        assertThat(socket.getParent()).isEqualTo(HubFiles.socketDirectory());
        assertThat(HubFiles.socket(Path.of(deep.toString()))).isEqualTo(socket);
        assertThat(HubFiles.socket(other)).isNotEqualTo(socket);
    }

    @Test
    void everyProjectAroundTheLimitGetsASocketTheJdkBinds() throws IOException {
        Path base = temporary.resolve("p");
        int suffix = "/.swarm/hub.sock".length();
        for (int length = HubFiles.SOCKET_PATH_LIMIT - 2; length <= HubFiles.SOCKET_PATH_LIMIT + 3; length++) {
            Path root = Path.of(base + "x".repeat(length - suffix - base.toString().length()));
            assertThat(root.resolve(".swarm/hub.sock").toString()).hasSize(length);
            Path socket = HubFiles.checkedSocket(root, true);
            Files.createDirectories(root.resolve(".swarm"));
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(socket));
            } finally {
                Files.deleteIfExists(socket);
            }
            assertThat(socket.startsWith(root)).as("length %d", length).isEqualTo(length <= HubFiles.SOCKET_PATH_LIMIT);
        }
    }

    @Test
    void theSocketsDirectoryMustBeTheUsersAloneAndNoLink() throws IOException {
        Path directory = Files.createDirectory(temporary.resolve("sockets"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        HubFiles.checkPrivate(directory);

        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> HubFiles.checkPrivate(directory)).isInstanceOf(IOException.class).hasMessageContaining("mode 0700");

        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        Path link = Files.createSymbolicLink(temporary.resolve("link"), directory);
        assertThatThrownBy(() -> HubFiles.checkPrivate(link)).isInstanceOf(IOException.class).hasMessageContaining("alone");

        assertThatThrownBy(() -> HubFiles.checkPrivate(temporary.resolve("none"))).isInstanceOf(NoSuchFileException.class);
    }

    private Path deep(String leaf) {
        return temporary.resolve("a-directory-name-long-enough".repeat(3)).resolve("and-another-one-to-pass-the-limit").resolve(leaf);
    }
}
