package dev.swarmhub.hub;

import dev.swarmhub.core.Agents;
import dev.swarmhub.core.EventLog;
import dev.swarmhub.core.Leases;
import dev.swarmhub.core.MessageSignature;
import dev.swarmhub.core.Messages;
import dev.swarmhub.core.Settings;
import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.host.MessageSecret;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.store.SqliteStore;
import java.nio.file.Path;

/**
 * A project's domain services wired over its store: one instance per hub (shared by every
 * request), or one per command when the CLI works on the store directly.
 */
public final class Services implements AutoCloseable {

    public final Path root;
    public final SqliteStore store;
    public final Agents agents;
    public final Leases leases;
    public final EventLog log;
    public final Settings settings;
    public final Messages messages;

    private Services(Path root, SqliteStore store) {
        this.root = root;
        this.store = store;
        LocalProcesses processes = new LocalProcesses();
        this.agents = new Agents(store, processes);
        this.leases = new Leases(store, agents, processes);
        this.log = new EventLog(store);
        this.settings = new Settings(store, agents);
        this.messages = new Messages(store, agents, new MessageSignature(MessageSecret.readOrCreate(root)));
    }

    /** Opens the project's store; on first use this also creates .swarm/operator.token. */
    public static Services open(Path projectRoot) {
        SqliteStore store = SqliteStore.openProject(projectRoot);
        OperatorToken.readOrCreate(projectRoot);
        return new Services(projectRoot, store);
    }

    @Override
    public void close() {
        store.close();
    }
}
