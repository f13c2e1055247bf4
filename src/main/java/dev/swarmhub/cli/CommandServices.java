package dev.swarmhub.cli;

import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.AgentEndpoints;
import dev.swarmhub.hub.LeaseEndpoints;
import dev.swarmhub.hub.LogEndpoints;
import dev.swarmhub.hub.MessageEndpoints;
import dev.swarmhub.hub.Services;
import dev.swarmhub.hub.PlanEndpoints;
import dev.swarmhub.hub.ProcessEndpoints;
import dev.swarmhub.hub.TaskEndpoints;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.LogOperations;
import dev.swarmhub.kernel.Settings;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.kernel.Retention;
import dev.swarmhub.logins.Logins;
import dev.swarmhub.messages.MessageOperations;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.plan.PlanOperations;
import dev.swarmhub.processes.ProcessOperations;
import dev.swarmhub.tasks.TaskOperations;
import dev.swarmhub.tasks.Tasks;
import java.util.function.Supplier;

/**
 * The services one command uses: the hub's shared ones when the command runs inside the hub
 * (closing does nothing), else the command's own over the store (closing closes the store). The
 * domain operations come as HTTP and MCP expose them (the endpoints), so a command runs the same
 * operation and prints the same view.
 */
final class CommandServices implements AutoCloseable {

    /**
     * Endpoints over no project: for the names, documentation and argument records of the
     * operations, which the CLI's model needs before any project is known (it is built once and
     * reused). Calling one of these fails; every endpoint is built from lambdas that reach the
     * domain only when called.
     */
    static final CommandServices DESCRIBED = new CommandServices();

    private final Services services;
    private final boolean owned;
    final Agents agents;
    final Leases leases;
    final EventLog log;
    final Settings settings;
    final Messages messages;
    final Tasks tasks;
    final Logins logins;
    final Retention retention;
    final LeaseEndpoints leaseEndpoints;
    final MessageEndpoints messageEndpoints;
    final AgentEndpoints agentEndpoints;
    final LogEndpoints logEndpoints;
    final TaskEndpoints taskEndpoints;
    final ProcessEndpoints processEndpoints;
    final PlanEndpoints planEndpoints;

    /** Where the project's store is (its file, or its database's address without the password). */
    String storeLocation() {
        return services.store.location();
    }

    /** Runs the work as one write: the domain's writes in it join it (one commit, one turn at the store's write lock). */
    <T> T inOneWrite(Supplier<T> work) {
        return services.store.write(tx -> work.get());
    }

    CommandServices(Services services, boolean owned) {
        this.services = services;
        this.owned = owned;
        this.agents = services.agents;
        this.leases = services.leases;
        this.log = services.log;
        this.settings = services.settings;
        this.messages = services.messages;
        this.tasks = services.tasks;
        this.logins = services.logins;
        this.retention = services.retention;
        this.leaseEndpoints = services.leaseEndpoints;
        this.messageEndpoints = services.messageEndpoints;
        this.agentEndpoints = services.agentEndpoints;
        this.logEndpoints = services.logEndpoints;
        this.taskEndpoints = services.taskEndpoints;
        this.processEndpoints = services.processEndpoints;
        this.planEndpoints = services.planEndpoints;
    }

    private CommandServices() {
        this.services = null;
        this.owned = false;
        this.agents = null;
        this.leases = null;
        this.log = null;
        this.settings = null;
        this.messages = null;
        this.tasks = null;
        this.logins = null;
        this.retention = null;
        this.leaseEndpoints = new LeaseEndpoints(new LeaseOperations(null, null, null));
        this.messageEndpoints = new MessageEndpoints(new MessageOperations(null), null);
        this.agentEndpoints = new AgentEndpoints(new AgentOperations(null));
        this.logEndpoints = new LogEndpoints(new LogOperations(null));
        this.taskEndpoints = new TaskEndpoints(new TaskOperations(null));
        this.processEndpoints = new ProcessEndpoints(new ProcessOperations(null));
        this.planEndpoints = new PlanEndpoints(new PlanOperations(null));
    }

    @Override
    public void close() {
        if (owned) {
            services.close();
        }
    }
}
