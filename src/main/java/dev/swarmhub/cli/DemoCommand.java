package dev.swarmhub.cli;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.Services;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseConflictException;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.ResourceParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code swarm demo}: two agents contend for one file in a throw-away project, narrated. */
@ClientSide.RunsInClient
@Command(name = "demo", description = "Show two agents contending for a file, in a temporary project.")
final class DemoCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Override
    public Integer call() throws Exception {
        Path project = Files.createTempDirectory("swarm-demo");
        PrintWriter out = new PrintWriter(System.out, true);
        out.println("A throw-away project at " + project + "; two agents, alice and bob, both want src/app.py.");
        try (CommandServices services = new CommandServices(Services.open(project), true)) {
            Leases leases = services.leases;
            Caller alice = register(services, "alice");
            Caller bob = register(services, "bob");
            Resource file = new ResourceParser(project).parse("./src/../src/app.py");
            Lease alicesLease = leases.acquire(new Leases.Request(alice, List.of(file), Mode.EXCLUSIVE, null, "refactoring")).get(0);
            out.printf("1. alice acquires ./src/../src/app.py (the same file as %s): fencing token %d%n", file, alicesLease.token());
            try {
                leases.acquire(new Leases.Request(bob, List.of(file), Mode.EXCLUSIVE, null, "bug fix"));
            } catch (LeaseConflictException denied) {
                out.println("2. bob tries too and is denied: " + denied.getMessage());
            }
            out.println("3. bob queues with a 10s wait; alice releases as soon as bob is in the queue");
            CompletableFuture<List<Lease>> bobWaits = CompletableFuture.supplyAsync(() -> leases.acquire(
                    new Leases.Request(bob, List.of(file), Mode.EXCLUSIVE, null, "bug fix"), Duration.ofSeconds(10)));
            awaitQueued(services.log, bobWaits);
            leases.release(alice, List.of(file));
            Lease bobsLease = bobWaits.get().get(0);
            out.printf("4. bob is granted src/app.py with fencing token %d (> %d: a storage layer can reject alice's late writes)%n",
                    bobsLease.token(), alicesLease.token());
            out.println("5. the event log:");
            for (Event event : services.log.latest(null, null, 20)) {
                out.printf("   %-22s %-6s %s%n", event.kind(), event.agent(), event.resource());
            }
        } finally {
            deleteTree(project);
        }
        out.println("Try it yourself: ./swarm lock --help");
        return 0;
    }

    private static Caller register(CommandServices services, String name) {
        Agents.Registered registered = services.agents.register(new Agents.Registration(name, "other", null, null, "demo"));
        return Caller.ofAgent(name, registered.token());
    }

    /** Follows the event log until bob's request is queued (or his wait ended some other way). */
    private static void awaitQueued(EventLog log, CompletableFuture<?> waiter) throws InterruptedException {
        long seen = 0;
        while (!waiter.isDone()) {
            for (Event event : log.after(seen, "bob", null, 100)) {
                seen = event.id();
                if (event.kind().equals("lease.queued")) {
                    return;
                }
            }
            Thread.sleep(5); // polling the store, as every client does until the hub pushes events
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
