package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.TestStores;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub started by a command exits once nothing needs it for hub.idle-exit: each need keeps it,
 * and the check is driven with the hub's own clock given, so no test waits half an hour.
 */
class IdleExitTest {

    private static final long LATER = Duration.ofMinutes(31).toNanos();

    @TempDir
    Path project;

    private Hub hub;

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void eachNeedKeepsTheHubAndOnceNothingNeedsItForTheSettingItExits() throws Exception {
        hub = ApiTest.startHub(project);
        Services services = hub.services();
        assertThat(hub.needs()).as("a fresh hub with no agent").isEmpty();

        Agents.Registered a = services.agents.register(new Agents.Registration("A", "other", null, null, null));
        Agents.Registered b = services.agents.register(new Agents.Registration("B", "other", null, null, null));
        Caller callerA = Caller.ofAgent("A", a.token());
        Caller callerB = Caller.ofAgent("B", b.token());
        assertThat(hub.needs()).containsExactly("an active agent");
        long clock = System.nanoTime() + LATER; // the hub's clock as the test moves it: forward only
        assertThat(hub.exitIfIdle(clock)).as("an active agent keeps the hub").isFalse();

        List<Resource> file = List.of(Resource.ofCanonical("a.py"));
        services.leases.acquire(new Leases.Request(callerA, file, Mode.EXCLUSIVE, Duration.ofMinutes(5), null));
        CompletableFuture<?> waiting = CompletableFuture.runAsync(() ->
                services.leases.acquire(new Leases.Request(callerB, file, Mode.EXCLUSIVE, Duration.ofMinutes(5), null), Duration.ofMinutes(2)));
        Await.until("B to wait for a.py", () -> hub.needs().contains("a lease waiter"));
        services.leases.release(callerA, file);
        waiting.get();
        assertThat(hub.needs()).doesNotContain("a lease waiter");

        services.messages.send(callerA, List.of("B"), new Messages.Draft(MessageType.BLOCKED, "needs an ACK", null, true, null));
        assertThat(hub.needs()).contains("a message retry ahead");
        services.messages.ack(callerB, services.messages.inbox(callerB, true, Duration.ZERO).getFirst().message().id());
        assertThat(hub.needs()).doesNotContain("a message retry ahead");

        services.agents.leave(callerA);
        services.agents.leave(callerB);
        assertThat(hub.needs()).as("both agents left").isEmpty();

        try (Socket connection = new Socket(InetAddress.getLoopbackAddress(), hub.port())) {
            Await.until("the hub to count the open connection", () -> hub.needs().contains("1 HTTP connection(s) open"));
            clock += LATER;
            assertThat(hub.exitIfIdle(clock)).as("an open connection (an event stream, an MCP session) keeps it").isFalse();
        }
        Await.until("the closed connection to be gone", () -> hub.needs().isEmpty());

        assertThat(hub.exitIfIdle(clock + Duration.ofMinutes(29).toNanos())).as("idle, but not for the setting's 30 minutes").isFalse();
        assertThat(hub.exitIfIdle(clock + LATER)).as("idle for 31 minutes").isTrue();
        hub.awaitStop();
        assertThat(HubFiles.socket(project)).as("its socket, after it exited").doesNotExist();
        assertThat(HubFiles.info(project)).as("its hub.json, after it exited").doesNotExist();
    }

    @Test
    void aHubStartedForACommandCountsIdleTimeOnlyOnceThatCommandCameOrItsStarterEnded() throws Exception {
        hub = ApiTest.startHub(project);
        Process starter = new ProcessBuilder("cat").start(); // lives until its stdin closes
        hub.awaitFirstCommandFrom(starter.toHandle());
        String awaited = "the command of process " + starter.pid() + ", which started the hub";
        assertThat(hub.needs()).containsExactly(awaited);
        assertThat(hub.exitIfIdle(System.nanoTime() + LATER)).as("the command not yet come, however long").isFalse();

        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(HubFiles.socket(project)))) {
            CliFrames.writeRequest(CliFrames.output(channel), new String[] {"whoami", "--json"}, Map.of(),
                    project.toString());
            CliFrames.readResponse(CliFrames.input(channel), () -> { });
        }
        assertThat(hub.needs()).as("the command came, its starter still alive").doesNotContain(awaited);
        Await.until("the answered command to be done", () -> hub.needs().isEmpty());
        starter.getOutputStream().close();
        starter.waitFor();

        hub.close();
        hub = ApiTest.startHub(project);
        Process silent = new ProcessBuilder("cat").start();
        hub.awaitFirstCommandFrom(silent.toHandle());
        assertThat(hub.needs()).containsExactly("the command of process " + silent.pid() + ", which started the hub");
        silent.getOutputStream().close();
        silent.waitFor();
        assertThat(hub.needs()).as("its starter ended without sending one").isEmpty();
        assertThat(hub.exitIfIdle(System.nanoTime() + LATER)).isTrue();
        hub.awaitStop();
    }

    @Test
    void aCommandLineHandedBackToTheRelaysClientIsNoCommandForTheIdleClock() throws Exception {
        TestStores.prepare(project);
        hub = Hub.start(project, services -> (args, env, cwd, out, err) -> args[0].equals("handed-back") ? CliFrames.RUN_IN_CLIENT : 0,
                Hub.Address.LOOPBACK);
        Process starter = new ProcessBuilder("cat").start(); // lives until its stdin closes
        long before = System.nanoTime();
        try {
            hub.awaitFirstCommandFrom(starter.toHandle());
            String awaited = "the command of process " + starter.pid() + ", which started the hub";
            assertThat(hub.exitIfIdle(before)).isFalse(); // idle from here at the latest

            assertThat(command("handed-back").exitCode()).isEqualTo(CliFrames.RUN_IN_CLIENT);
            Await.until("the handed-back command line to be done", () -> hub.needs().stream().noneMatch(need -> need.contains("running")));
            assertThat(hub.needs()).as("the starter's own command is still awaited").containsExactly(awaited);
            starter.getOutputStream().close();
            starter.waitFor();
        } finally {
            starter.destroy();
        }

        assertThat(hub.exitIfIdle(before + Hub.IDLE_EXIT.defaultValue().toNanos())).as("idle since before the handed-back command line").isTrue();
        hub.awaitStop();
    }

    private CliFrames.Response command(String... args) throws Exception {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(HubFiles.socket(project)))) {
            CliFrames.writeRequest(CliFrames.output(channel), args, Map.of(), project.toString());
            return CliFrames.readResponse(CliFrames.input(channel), () -> { });
        }
    }
}
