package dev.swarmhub.cli;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.LeaseEndpoints;
import dev.swarmhub.hub.Services;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.Settings;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.Messages;

/**
 * The services one command uses: the hub's shared ones when the command runs inside the hub
 * (closing does nothing), else the command's own over the store (closing closes the store).
 */
final class Session implements AutoCloseable {

    private final Services services;
    private final boolean owned;
    final Agents agents;
    final Leases leases;
    final EventLog log;
    final Settings settings;
    final Messages messages;
    final LeaseEndpoints leaseEndpoints;

    Session(Services services, boolean owned) {
        this.services = services;
        this.owned = owned;
        this.agents = services.agents;
        this.leases = services.leases;
        this.log = services.log;
        this.settings = services.settings;
        this.messages = services.messages;
        this.leaseEndpoints = new LeaseEndpoints(services.leaseOperations);
    }

    /** The sent message with its typings, when the hub's typist runs in this process (see Services#withTypings). */
    Message withTypings(Message sent) {
        return services.withTypings(sent);
    }

    @Override
    public void close() {
        if (owned) {
            services.close();
        }
    }
}
