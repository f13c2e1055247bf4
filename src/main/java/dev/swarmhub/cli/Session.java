package dev.swarmhub.cli;

import dev.swarmhub.core.Agents;
import dev.swarmhub.core.EventLog;
import dev.swarmhub.core.Leases;
import dev.swarmhub.core.Settings;
import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.store.SqliteStore;
import java.nio.file.Path;

/** The domain services of one command, over the project's store; closing closes the store. */
final class Session implements AutoCloseable {

    private final SqliteStore store;
    final Agents agents;
    final Leases leases;
    final EventLog log;
    final Settings settings;

    Session(Path projectRoot) {
        this.store = SqliteStore.openProject(projectRoot);
        this.agents = new Agents(store, new LocalProcesses());
        this.leases = new Leases(store, agents);
        this.log = new EventLog(store);
        this.settings = new Settings(store, agents);
    }

    @Override
    public void close() {
        store.close();
    }
}
