package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.store.Stores;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HubProcess;
import dev.swarmhub.testing.TestStores;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The hub's life as real processes under faults: its files deleted under it (split brain), the
 * process paused (SIGSTOP), hub.json gone, the root reached through a symlink.
 */
class HubLifecycleTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path project;

    private final List<HubProcess> hubs = new ArrayList<>();
    private final ExecutorService clients = Executors.newCachedThreadPool();

    @AfterEach
    void stopHubs() {
        hubs.forEach(HubProcess::close);
        clients.shutdownNow();
    }

    // ---------------------------------------------------------------------------------------------
    // split brain: a hub that lost its lock file or its store stops; tokens never repeat

    @Test
    void hubWhoseLockFileIsDeletedStopsAndANewHubServes() throws Exception {
        HubProcess first = startHub();
        Files.delete(project.resolve(".swarm/hub.lock"));

        assertThat(first.awaitExit()).as("exit code of the hub whose lock file was deleted; its output:\n%s", first.log()).isNotZero();
        assertThat(first.log()).contains("hub.lock was deleted or replaced");
        HubProcess second = startHub();
        assertThat(send(Map.of(), "lock", "list", "--json").exitCode()).isZero();
        assertThat(second.infoPid()).isEqualTo(second.pid());
    }

    @Test
    void hubWhoseSwarmDirectoryIsWipedStopsAndTokensNeverRepeat() throws Exception {
        HubProcess first = startHub();
        Map<String, String> a = identity(json(send(Map.of(), "agent", "register", "--id", "A", "--json")));
        long firstToken = json(send(a, "lock", "acquire", "f.py", "--json")).get("leases").get(0).get("token").asLong();
        int oldPort = ((Number) Hub.readInfo(project).get("port")).intValue();

        deleteRecursively(project.resolve(".swarm")); // as git clean -fdX does
        HubProcess second = startHub();
        Map<String, String> b = identity(json(send(Map.of(), "agent", "register", "--id", "B", "--json")));
        CliFrames.Response acquired = send(b, "lock", "acquire", "f.py", "--json");
        assertThat(acquired.exitCode()).as(acquired.toString()).isZero();
        long secondToken = json(acquired).get("leases").get(0).get("token").asLong();
        assertThat(secondToken).as("B's token from the new store, after A's from the wiped one").isGreaterThan(firstToken);

        // A, still talking to the old hub's HTTP port, is never granted from the wiped store.
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest renew = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + oldPort + "/api/v1/locks"))
                    .header("Authorization", "Bearer " + a.get("SWARM_TOKEN")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"resources\":[\"g.py\"]}")).timeout(Duration.ofSeconds(30)).build();
            try {
                HttpResponse<String> answer = http.send(renew, HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as("the old hub's answer: %s", answer.body()).isNotEqualTo(200);
            } catch (IOException refused) {
                // the old hub already stopped
            }
        }
        assertThat(first.awaitExit()).as("exit code of the hub whose .swarm/ was wiped; its output:\n%s", first.log()).isNotZero();
        assertThat(first.log()).contains("was deleted or replaced");
        assertThat(second.process().isAlive()).as("the new hub keeps serving").isTrue();
        assertThat(HubFiles.socket(project)).as("the new hub's socket, left alone by the old hub").exists();
        assertThat(send(Map.of(), "lock", "list", "--json").exitCode()).isZero();
    }

    // ---------------------------------------------------------------------------------------------
    // FIFO across a pause of the hub: the waiters' silence was the hub's own

    @Test
    void waitersAreGrantedInArrivalOrderAfterTheHubWasPaused() throws Exception {
        CliRunner cli = new CliRunner(project);
        Map<String, String> holder = cli.register("H");
        List<String> waiters = List.of("W1", "W2", "W3", "W4");
        Map<String, Map<String, String>> agents = new HashMap<>();
        for (String id : waiters) {
            agents.put(id, cli.register(id));
        }
        HubProcess hub = startHub();
        assertThat(send(holder, "lock", "acquire", "x.py", "--json").exitCode()).isZero();
        Map<String, Future<CliFrames.Response>> waiting = new HashMap<>();
        for (String id : waiters) {
            waiting.put(id, clients.submit(() -> send(agents.get(id), "lock", "acquire", "x.py", "--wait", "60s", "--json")));
            awaitEvent("lease.queued", id); // queued before the next one asks: a known order
        }

        hub.pause();
        long lastPoll = releaseWhilePaused(hub, "H");
        // paused for longer than a waiter may stay silent, judged by the store clock (this machine's)
        Await.until("the waiters' silence to pass 3 s", () -> System.currentTimeMillis() > lastPoll + 3_500);
        hub.resume();

        for (int i = 0; i < waiters.size(); i++) {
            String next = waiters.get(i);
            CliFrames.Response granted = Await.done(waiting.get(next));
            assertThat(granted.exitCode()).as("%s's wait: %s", next, granted).isZero();
            for (String later : waiters.subList(i + 1, waiters.size())) {
                assertThat(waiting.get(later)).as("%s still waits while %s holds x.py", later, next).isNotDone();
            }
            assertThat(send(agents.get(next), "lock", "release", "x.py", "--json").exitCode()).isZero();
        }
        try (Store store = TestStores.open(project)) {
            List<String> order = new EventLog(store).latest(null, "lease.acquired", 100).stream()
                    .filter(event -> "x.py".equals(event.resource())).map(Event::agent).toList();
            assertThat(order).containsExactly("H", "W1", "W2", "W3", "W4");
        }
    }

    @Test
    void anotherProcessQueuesBehindThePausedHubsWaiters() throws Exception {
        CliRunner cli = new CliRunner(project);
        Map<String, String> holder = cli.register("H");
        Map<String, String> waiter = cli.register("W");
        Map<String, String> latecomer = cli.register("L");
        HubProcess hub = startHub();
        assertThat(send(holder, "lock", "acquire", "x.py", "--json").exitCode()).isZero();
        Future<CliFrames.Response> waiting = clients.submit(() -> send(waiter, "lock", "acquire", "x.py", "--wait", "60s", "--json"));
        awaitEvent("lease.queued", "W");

        hub.pause();
        long lastPoll = releaseWhilePaused(hub, "H");
        Await.until("the waiter's silence to pass 3 s", () -> System.currentTimeMillis() > lastPoll + 3_500);
        // as swarm --no-hub: this test's process works on the store directly while the hub is frozen
        CliRunner.Result cleanup = cli.run(latecomer, "lock", "cleanup", "--json");
        assertThat(cleanup.exitCode()).as(cleanup.err()).isZero();
        assertThat(cleanup.json().get("deadWaiters").asInt()).as("waiters of the paused hub removed").isZero();
        CliRunner.Result jumped = cli.run(latecomer, "lock", "acquire", "x.py", "--json");
        assertThat(jumped.exitCode()).as("an acquire past the paused hub's waiter: %s", jumped.out()).isNotZero();
        assertThat(jumped.json().get("queuedAhead").get(0).get("agent").asString()).as(jumped.out()).isEqualTo("W");
        hub.resume();

        CliFrames.Response granted = Await.done(waiting);
        assertThat(granted.exitCode()).as("W's wait: %s", granted).isZero();
    }

    /**
     * Removes the agent's leases from the store beside the paused hub (as a --no-hub process
     * would); returns the waiters' latest poll time. A hub paused inside a write holds SQLite's
     * write lock: it then runs on until the write is done.
     */
    private long releaseWhilePaused(HubProcess hub, String agent) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + project.resolve(".swarm/swarm.db"))) {
            connection.setAutoCommit(true);
            while (true) {
                try {
                    connection.createStatement().execute("BEGIN IMMEDIATE");
                    break;
                } catch (SQLException busy) {
                    hub.resume();
                    hub.pause();
                }
            }
            connection.createStatement().execute("DELETE FROM leases WHERE agent = '" + agent + "'");
            long lastPoll;
            try (ResultSet polled = connection.createStatement().executeQuery("SELECT max(seen_at) FROM waiters")) {
                polled.next();
                lastPoll = polled.getLong(1);
            }
            connection.createStatement().execute("COMMIT");
            return lastPoll;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // a paused hub: clients give up with a clear message, long waits still work, down stops it

    @Test
    void clientGivesUpOnAPausedHubAndDownStopsIt() throws Exception {
        HubProcess hub = startHub();
        hub.pause();
        Future<CliFrames.Response> command = clients.submit(() -> SwarmClient.exchange(project,
                new String[] {"lock", "list", "--json"}, Map.of("SWARM_ROOT", project.toString()), project, Duration.ofSeconds(2)));
        assertThatThrownBy(() -> Await.done(command)).as("a command sent to the paused hub")
                .hasCauseInstanceOf(SwarmClient.HubSilentException.class);

        CliRunner.Result down = new CliRunner(project).run("down", "--json");
        assertThat(down.exitCode()).as(down.err()).isZero();
        assertThat(down.json().get("stopped").asBoolean()).isTrue();
        assertThat(hub.awaitExit()).as("the paused hub stops cleanly; its output:\n%s", hub.log()).isZero();
    }

    @Test
    void waitsLongerThanTheSilenceLimitAreAnswered() throws Exception {
        CliRunner cli = new CliRunner(project);
        Map<String, String> holder = cli.register("H");
        Map<String, String> waiter = cli.register("W");
        startHub();
        assertThat(send(holder, "lock", "acquire", "x.py", "--json").exitCode()).isZero();
        Map<String, String> environment = new HashMap<>(waiter);
        environment.put("SWARM_ROOT", project.toString());
        CliFrames.Response timedOut = SwarmClient.exchange(project, new String[] {"lock", "acquire", "x.py", "--wait", "6s",
                "--json"}, environment, project, Duration.ofSeconds(3));
        assertThat(timedOut.exitCode()).as("a 6 s wait under a 3 s silence limit: %s", timedOut).isEqualTo(3);
    }

    @Test
    void aHubEndingBeforeItAnswersIsNamedAsSuch() throws Exception {
        Path socket = HubFiles.socket(project);
        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel dyingHub = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dyingHub.bind(UnixDomainSocketAddress.of(socket));
            Future<CliFrames.Response> waited = clients.submit(() -> SwarmClient.exchange(project, new String[] {"lock", "acquire", "x.py",
                    "--wait", "60s"}, Map.of("SWARM_ROOT", project.toString()), project));
            try (SocketChannel client = dyingHub.accept()) {
                CliFrames.readRequest(CliFrames.input(client));
            } // closed without an answer, as by a hub killed meanwhile
            assertThatThrownBy(() -> Await.done(waited)).hasCauseInstanceOf(IOException.class)
                    .cause().hasMessageContaining("the hub closed the connection before answering").hasMessageContaining("unknown");

            Future<CliFrames.Response> cut = clients.submit(() -> SwarmClient.exchange(project, new String[] {"lock", "list"},
                    Map.of("SWARM_ROOT", project.toString()), project));
            try (SocketChannel client = dyingHub.accept()) {
                CliFrames.readRequest(CliFrames.input(client));
                DataOutputStream answer = CliFrames.output(client);
                answer.writeInt(0);
                answer.writeInt(0); // stdout: empty
                answer.writeInt(100); // stderr of 100 bytes, of which 10 come before the hub dies
                answer.write(new byte[10]);
                answer.flush();
            }
            assertThatThrownBy(() -> Await.done(cut)).as("an answer cut within a string").hasCauseInstanceOf(IOException.class)
                    .cause().hasMessageContaining("the hub closed the connection before answering");
        }
    }

    @Test
    void aCommandLineTheHubCannotReadIsAnsweredAsSuchAndTheHubServesOn() throws Exception {
        startHub();
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(HubFiles.socket(project)))) {
            CliFrames.writeRequest(CliFrames.output(channel), new String[] {"lock", "list"},
                    Map.of("SWARM_ROOT", project.toString()), project + "/nul\0here"); // no path: as a name a non-UTF-8 hub cannot decode
            CliFrames.Response answer = CliFrames.readResponse(CliFrames.input(channel), () -> { });
            assertThat(answer.exitCode()).isEqualTo(2);
            assertThat(answer.err()).startsWith("swarm: the hub cannot read this command line: ").contains("Nul character");
        }
        assertThat(send(Map.of(), "lock", "list", "--json").exitCode()).as("the hub serves on").isZero();
    }

    @Test
    void aHubOfAnOlderJarThatSendsNoMarksIsNotCutOff() throws Exception {
        Path socket = HubFiles.socket(project);
        Files.createDirectories(socket.getParent());
        Files.writeString(HubFiles.info(project), "{\"pid\":1,\"socket\":\"" + socket + "\"}"); // no keepAliveMs
        Duration silenceLimit = Duration.ofSeconds(1);
        try (ServerSocketChannel olderHub = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            olderHub.bind(UnixDomainSocketAddress.of(socket));
            Future<CliFrames.Response> waited = clients.submit(() -> SwarmClient.exchange(project, new String[] {"lock", "acquire", "x.py",
                    "--wait", "60s"}, Map.of("SWARM_ROOT", project.toString()), project, silenceLimit));
            try (SocketChannel client = olderHub.accept()) {
                CliFrames.readRequest(CliFrames.input(client));
                long silentSince = System.nanoTime();
                // a long wait, answered without a mark: the client must not have given up meanwhile
                Await.until("three silence limits to pass", () -> System.nanoTime() - silentSince > 3 * silenceLimit.toNanos());
                assertThat(waited).as("the client's exchange during the older hub's silence").isNotDone();
                CliFrames.writeResponse(CliFrames.output(client), new CliFrames.Response(0, "granted\n", ""));
            }
            assertThat(Await.done(waited)).isEqualTo(new CliFrames.Response(0, "granted\n", ""));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // finding the hub: without hub.json, through a symlinked root

    @Test
    void statusUpAndDownFindTheHubWhenHubJsonIsDeleted() throws Exception {
        HubProcess hub = startHub();
        Files.delete(HubFiles.info(project));
        CliRunner cli = new CliRunner(project);

        CliRunner.Result status = cli.run("status", "--json");
        assertThat(status.json().get("running").asBoolean()).as(status.out()).isTrue();
        assertThat(status.json().get("pid").asLong()).isEqualTo(hub.pid());
        CliRunner.Result up = cli.run("up", "-d", "--json");
        assertThat(up.exitCode()).as(up.err()).isZero();
        assertThat(up.json().get("alreadyRunning").asBoolean()).isTrue();
        assertThat(up.json().get("pid").asLong()).isEqualTo(hub.pid());
        assertThat(cli.run("up", "-d").out()).contains("a hub already runs").contains("pid " + hub.pid());
        Await.until("the hub to write hub.json again", () -> hub.infoPid() == hub.pid()); // clients read its HTTP address there

        CliRunner.Result down = cli.run("down", "--json");
        assertThat(down.json().get("stopped").asBoolean()).as(down.out()).isTrue();
        assertThat(hub.awaitExit()).isZero();
        assertThat(HubFiles.info(project)).as("hub.json after down").doesNotExist();
    }

    @Test
    void upRefusesAnotherStoreWhileTheHubRunsOnTheOneChosenBefore() throws Exception {
        HubProcess hub = startHub();
        CliRunner cli = new CliRunner(project);
        Path config = project.resolve(".swarm").resolve("config");
        byte[] before = Files.exists(config) ? Files.readAllBytes(config) : null;

        CliRunner.Result other = cli.run("up", "-d", "--store", "postgresql://swarm@db.example:5432/elsewhere");
        assertThat(other.exitCode()).as(other.out() + other.err()).isEqualTo(3);
        assertThat(other.err()).contains("a hub runs for").contains("pid " + hub.pid()).contains("swarm down");
        assertThat(Files.exists(config) ? Files.readAllBytes(config) : null).as("the choice kept as it was").isEqualTo(before);
        assertThat(cli.run("up", "--store", "postgresql://swarm@db.example:5432/elsewhere").exitCode()).as("in the foreground too").isEqualTo(3);
        assertThat(Files.exists(config) ? Files.readAllBytes(config) : null).isEqualTo(before);

        String chosen = before == null ? "sqlite" : Stores.Config.of(project, Map.of()).database();
        CliRunner.Result same = cli.run("up", "-d", "--store", chosen);
        assertThat(same.exitCode()).as("the store chosen before, chosen again: " + same.err()).isZero();
        assertThat(same.out()).contains("a hub already runs");
    }

    @Test
    void aLockFileFindsTheHubOnlyByItsPidAndStartTime() throws Exception {
        LocalProcesses processes = new LocalProcesses();
        long pid = ProcessHandle.current().pid(); // a live process that is no hub
        long start = processes.startedAt(pid).orElseThrow();
        Files.createDirectories(project.resolve(".swarm"));
        Path lockFile = project.resolve(".swarm").resolve("hub.lock");
        String started = "\"started\":\"2026-01-01T00:00:00Z\"";

        Files.writeString(lockFile, "{\"host\":\"" + processes.host() + "\",\"pid\":" + pid + ",\"processStart\":" + start + "," + started + "}");
        assertThat(Hub.running(project)).as("the process named with its start time").map(Hub.Running::pid).contains(pid);
        Files.writeString(lockFile, "{\"host\":\"" + processes.host() + "\",\"pid\":" + pid + ",\"processStart\":" + (start - 60_000)
                + "," + started + "}");
        assertThat(Hub.running(project)).as("its pid, taken over by another process").isEmpty();
        Files.writeString(lockFile, "{\"host\":\"" + processes.host() + "\",\"pid\":" + pid + ",\"processStart\":null," + started + "}");
        assertThat(Hub.running(project)).as("its pid, with the hub's start time unknown").isEmpty();
    }

    @Test
    void rootThroughASymlinkIsTheSameProject(@TempDir Path elsewhere) throws Exception {
        Path link = Files.createSymbolicLink(elsewhere.resolve("link"), project);
        startHub();
        CliFrames.Response listed = SwarmClient.exchange(project, new String[] {"--root", link.toString(), "lock", "list",
                "--json"}, Map.of("SWARM_ROOT", link.toString()), link);
        assertThat(listed.exitCode()).as(listed.toString()).isZero();
        CliRunner.Result status = new CliRunner(project).run(Map.of("SWARM_ROOT", link.toString()), "status", "--json");
        assertThat(status.json().get("running").asBoolean()).as(status.out()).isTrue();
    }

    @Test
    void aProjectTooDeepForASocketInItsSwarmDirectoryIsServed() throws Exception {
        Path deep = Files.createDirectories(project.resolve("a-directory-name-long-enough".repeat(3)).resolve("and-one-more-to-pass-the-limit"));
        Path socket = HubFiles.socket(deep);
        assertThat(socket.getParent()).as("the socket of a project whose .swarm/hub.sock path passes 106 bytes").isNotEqualTo(deep.resolve(".swarm"));
        HubProcess hub = HubProcess.start(deep);
        hubs.add(hub);

        CliFrames.Response registered = SwarmClient.exchange(deep, new String[] {"agent", "register", "--id", "deep", "--json"},
                Map.of("SWARM_ROOT", deep.toString()), deep);
        assertThat(registered.exitCode()).as(registered.toString()).isZero();
        assertThat(Files.getPosixFilePermissions(socket.getParent())).as("the user's directory of sockets")
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        CliRunner cli = new CliRunner(deep);
        assertThat(cli.run("status", "--json").json().get("socket").asString()).isEqualTo(socket.toString());
        assertThat(cli.run("down").exitCode()).isZero();
        assertThat(hub.awaitExit()).as("the hub's exit code after down; its output:\n%s", hub.log()).isZero();
        assertThat(socket).as("the socket after the hub stopped").doesNotExist();
    }

    @Test
    void aHubStartedByACommandExitsByItselfOnceNothingNeedsIt() throws Exception {
        CliRunner cli = new CliRunner(project);
        assertThat(cli.run(Map.of("SWARM_TOKEN", cli.operatorToken()), "config", "hub.idle-exit", "1s").exitCode()).isZero();
        Process client = new ProcessBuilder(dev.swarmhub.testing.JavaProcess.javaBinary(), "-XX:+UseSerialGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SwarmClient.class.getName(), "--root", project.toString(), "lock", "list", "--json")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(client.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(client.waitFor()).as(out).isZero();
        long hubPid = Hub.running(project).orElseThrow().pid();
        try {
            Await.until("the hub the command started to exit by itself", () -> ProcessHandle.of(hubPid).map(p -> !p.isAlive()).orElse(true));
            assertThat(Files.readString(HubFiles.log(project))).contains("it exits, as a hub started by a command does");
            assertThat(HubFiles.info(project)).doesNotExist();
        } finally {
            ProcessHandle.of(hubPid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aWaitingCommandIsToldWhatItWaitsForAndBehindWhom() throws Exception {
        startHub();
        Map<String, String> a = identity(json(send(Map.of(), "agent", "register", "--id", "A", "--json")));
        Map<String, String> b = identity(json(send(Map.of(), "agent", "register", "--id", "B", "--json")));
        assertThat(send(a, "lock", "acquire", "src/x.py", "--reason", "refactoring").exitCode()).isZero();
        Map<String, String> environment = new HashMap<>(b);
        environment.put("SWARM_ROOT", project.toString());

        List<String> acquire = List.of("--json", "lock", "acquire", "--ttl", "1m", "src/x.py", "name:free", "--wait=30s");
        assertThat(WaitNotice.waits(acquire, "lock acquire")).isTrue();
        assertThat(WaitNotice.waits(List.of("lock", "acquire", "src/x.py"), "lock acquire")).as("no --wait").isFalse();
        String notice = WaitNotice.describe(project, acquire, "lock acquire", environment, project);
        assertThat(notice).startsWith("swarm: waiting up to 30s for src/x.py, held now by:\n  src/x.py exclusive A token ")
                .contains("\"refactoring\"").contains("swarm: waiting up to 30s for name:free, held now by:\n  name:free is free");
        assertThat(WaitNotice.describe(project, List.of("inbox", "--wait", "5m"), "inbox", environment, project))
                .isEqualTo("swarm: waiting up to 5m for a message (Ctrl-C stops)\n");
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    private void awaitEvent(String kind, String agent) {
        try (Store store = TestStores.open(project)) {
            EventLog events = new EventLog(store);
            Await.until(kind + " of " + agent, () -> !events.latest(agent, kind, 1).isEmpty());
        }
    }

    private HubProcess startHub() {
        HubProcess hub = HubProcess.start(project);
        hubs.add(hub);
        return hub;
    }

    private CliFrames.Response send(Map<String, String> identity, String... args) throws IOException {
        Map<String, String> environment = new HashMap<>(identity);
        environment.put("SWARM_ROOT", project.toString());
        return SwarmClient.exchange(project, args, environment, project);
    }

    private static JsonNode json(CliFrames.Response response) {
        return JSON.readTree(response.out());
    }

    private static Map<String, String> identity(JsonNode registered) {
        return Map.of("SWARM_AGENT", registered.get("id").asString(), "SWARM_TOKEN", registered.get("token").asString());
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
