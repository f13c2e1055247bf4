package dev.swarmhub.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The typist's lock directory and the one it is made in are private: the hub refuses a socket directory that is not 0700. */
class PaneTyperDirectoryTest {

    @TempDir
    Path temporary;

    @Test
    void theLockDirectoryAndItsMissingParentAreMadePrivate() throws Exception {
        Path panes = PaneTyper.privateDirectory(temporary.resolve("swarmhub-someone").resolve("panes"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(panes))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(panes.getParent()))).as("the user's directory, shared with the hub's sockets")
                .isEqualTo("rwx------");
    }
}
