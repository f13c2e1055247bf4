package dev.swarmhub.hub;

import java.nio.file.Path;

/** Where a project's hub keeps its files; free of heavy dependencies, for the lean CLI client. */
public final class HubFiles {

    private HubFiles() {
    }

    public static Path socket(Path root) {
        return root.resolve(".swarm").resolve("hub.sock");
    }

    public static Path info(Path root) {
        return root.resolve(".swarm").resolve("hub.json");
    }
}
