package dev.swarmhub.hub;

import dev.swarmhub.store.FileIdentity;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.LoggerFactory;

/**
 * The hub's CLI channel: a Unix socket in .swarm/ (mode 0600, so only the project's user can
 * use it, as with the store file itself). Each connection carries one command line; the hub runs
 * it on its shared services and answers with the exit code and output, sending a mark every
 * second while it runs (so a client can tell a long wait from a frozen hub). When the client goes
 * away mid-command (a blocking --wait), the command's thread is interrupted, so a waiter whose
 * client disconnected is dequeued and never granted.
 */
final class CliChannel implements AutoCloseable {

    /** Connections the kernel queues before the hub accepts them (capped by net.core.somaxconn): a swarm's hooks come at once. */
    private static final int ACCEPT_BACKLOG = 1024;

    private final Path socketFile;
    private final Object socketFileKey;
    private final ServerSocketChannel server;
    private final CommandRunner runner;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Future<?>> running = ConcurrentHashMap.newKeySet();
    /** When a command last was served or ended (nanoTime; from the start until then): a hub that exits when idle counts from it. */
    private volatile long lastCommandNanos = System.nanoTime();
    private volatile boolean anyCommandServed;

    CliChannel(Path root, CommandRunner runner) throws IOException {
        this.socketFile = HubFiles.checkedSocket(root, true);
        this.runner = runner;
        Files.deleteIfExists(socketFile); // left by a hub that was killed; the hub lock says we are the only hub
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketFile), ACCEPT_BACKLOG);
        Files.setPosixFilePermissions(socketFile, PosixFilePermissions.fromString("rw-------"));
        socketFileKey = FileIdentity.of(socketFile);
        threads.submit(this::accept);
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                threads.submit(() -> serve(client));
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            DataInputStream in = CliFrames.input(client);
            CliFrames.Request request;
            try {
                request = CliFrames.readRequest(in);
            } catch (RuntimeException unreadable) { // a working directory this hub's JVM cannot name (its locale is not UTF-8)
                LoggerFactory.getLogger(CliChannel.class).warn("a command line the hub cannot read: {}", unreadable.toString());
                CliFrames.writeResponse(CliFrames.output(client), new CliFrames.Response(2, "",
                        "swarm: the hub cannot read this command line: " + unreadable.getMessage() + "\n"));
                return;
            }
            CompletableFuture<CliFrames.Response> answer = new CompletableFuture<>();
            Future<?> command = threads.submit(() -> {
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                try {
                    int code = runner.run(request.args(), request.environment(), request.workingDirectory(), new PrintWriter(out), new PrintWriter(err));
                    if (code != CliFrames.RUN_IN_CLIENT) {
                        commandServed(); // before the answer: a client that has it finds the command counted
                    }
                    answer.complete(new CliFrames.Response(code, out.toString(), err.toString()));
                } catch (RuntimeException | Error failure) {
                    commandServed();
                    LoggerFactory.getLogger(CliChannel.class).error("a command through the hub failed", failure);
                    answer.complete(new CliFrames.Response(1, out.toString(), err + "swarm: the hub failed: " + failure + "\n"));
                }
            });
            running.add(command);
            // A cancelled command still answers; it never writes itself (an interrupted writer would close the channel).
            Future<?> answering = threads.submit(() -> answer(client, answer));
            try {
                // The client sends nothing more; end of stream means it went away (or read our answer).
                while (client.read(ByteBuffer.allocate(1)) >= 0 && !answering.isDone()) {
                    // a well-behaved client sends no more bytes
                }
            } finally {
                command.cancel(true); // interrupts a command still running for a client that left
                running.remove(command);
                CliFrames.Response answered = answer.getNow(null);
                if (answered == null || answered.exitCode() != CliFrames.RUN_IN_CLIENT) {
                    lastCommandNanos = System.nanoTime(); // idle time counts from a command's end
                }
            }
        } catch (IOException e) {
            // the client went away before sending a whole command line: nothing to do
        }
    }

    /**
     * A command was served here (one the relay's client runs itself, answered {@link CliFrames#RUN_IN_CLIENT},
     * was not: it never needed this hub). While it runs, {@link #commandsRunning} counts it.
     */
    private void commandServed() {
        lastCommandNanos = System.nanoTime();
        anyCommandServed = true;
    }

    int commandsRunning() {
        return running.size();
    }

    /** Whether any command has been served since the hub started (its answer ready, or it failed). */
    boolean anyCommandServed() {
        return anyCommandServed;
    }

    long lastCommandNanos() {
        return lastCommandNanos;
    }

    /** Marks the command as still running every second until its answer is ready, then writes the answer. */
    private static Void answer(SocketChannel client, CompletableFuture<CliFrames.Response> answer) throws IOException, InterruptedException {
        DataOutputStream out = CliFrames.output(client);
        while (true) {
            try {
                CliFrames.writeResponse(out, answer.get(CliFrames.KEEPALIVE_MS, TimeUnit.MILLISECONDS));
                return null;
            } catch (TimeoutException stillRunning) {
                CliFrames.writeStillRunning(out);
            } catch (ExecutionException impossible) {
                throw new IllegalStateException(impossible); // the command completes its answer normally, even on failure
            }
        }
    }

    /** Stops accepting and interrupts running commands (their waits end and are dequeued). */
    @Override
    public void close() throws IOException {
        server.close();
        running.forEach(command -> command.cancel(true));
        threads.shutdown();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS); // let interrupted commands dequeue their waits
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (socketFileKey.equals(FileIdentity.of(socketFile))) {
            Files.deleteIfExists(socketFile); // ours; one at the same name after .swarm/ was replaced is another hub's
        }
    }
}
