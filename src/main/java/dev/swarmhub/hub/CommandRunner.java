package dev.swarmhub.hub;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/** Runs one CLI command line inside the hub (the CLI provides it, so the hub does not depend on the CLI). */
@FunctionalInterface
public interface CommandRunner {

    int run(String[] args, Map<String, String> environment, Path workingDirectory, PrintWriter out, PrintWriter err);
}
