package dev.swarmhub.bench;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.Services;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.Messages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Gives a project the history of months of use, through the domain (so messages carry valid
 * signatures): {@code agents} agents that each sent 10 messages (the rate limit's worth) to the
 * one before and left, plus lease cycles until the log holds {@code events} events. For
 * {@code scripts/bench-aged}: listings and the log measured on a fresh and an aged project.
 */
public final class AgedProject {

    private static final int MESSAGES_PER_AGENT = 10;
    private static final int AGENTS_PER_WRITE = 50;

    private AgedProject() {
    }

    public static void main(String[] args) {
        Path root = Path.of(args[0]);
        int agents = Integer.parseInt(args[1]);
        long events = Long.parseLong(args[2]);
        try (Services services = Services.open(root)) {
            List<Caller> registered = new ArrayList<>();
            Caller cycler = register(services, "aged-cycler");
            for (int first = 0; first < agents; first += AGENTS_PER_WRITE) {
                int from = first;
                services.store.write(tx -> {
                    for (int i = from; i < Math.min(agents, from + AGENTS_PER_WRITE); i++) {
                        Caller agent = register(services, "aged-" + i);
                        registered.add(agent);
                        String previous = i == 0 ? "aged-cycler" : "aged-" + (i - 1);
                        for (int m = 0; m < MESSAGES_PER_AGENT; m++) {
                            services.messages.send(agent, List.of(previous),
                                    new Messages.Draft(MessageType.INFO, "status report " + m + " from aged-" + i, null, false, null));
                        }
                    }
                    return null;
                });
            }
            for (int i = 0; i < agents; i += AGENTS_PER_WRITE) {
                int from = i;
                services.store.write(tx -> {
                    for (int j = from; j < Math.min(agents, from + AGENTS_PER_WRITE); j++) {
                        services.agents.leave(registered.get(j));
                    }
                    return null;
                });
            }
            Resource file = Resource.ofCanonical("aged/cycled.py");
            while (services.store.read(tx -> tx.latestEvents(null, null, 1).get(0).id()) < events) {
                services.store.write(tx -> {
                    for (int c = 0; c < 500; c++) {
                        services.leases.acquire(new dev.swarmhub.leases.Leases.Request(cycler, List.of(file), Mode.EXCLUSIVE, Duration.ofMinutes(5), ""));
                        services.leases.release(cycler, List.of(file));
                    }
                    return null;
                });
            }
            services.agents.leave(cycler);
        }
    }

    private static Caller register(Services services, String id) {
        return Caller.ofAgent(id, services.agents.register(new Agents.Registration(id, "other", null, null, null)).token());
    }
}
