package dev.swarmhub.cli;

import dev.swarmhub.hub.Hub;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.store.SqliteFiles;
import dev.swarmhub.store.StoreInspection;
import dev.swarmhub.store.Stores;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm backup FILE | restore FILE}: the SQLite store as a file. Both run in the client: a
 * backup is a file of the user's, made while the hub goes on (no hub needed, none started), and a
 * restore must run while no hub does.
 */
final class StoreFileCommands {

    private StoreFileCommands() {
    }

    /** The project's SQLite database; refused, pointing to PostgreSQL's own tools, when the project's store is PostgreSQL. */
    private static Path sqliteStore(Path root, String tool) {
        return Stores.sqliteFile(root, Stores.Config.of(root, System.getenv())) // as Services.open reads it
                .orElseThrow(() -> SwarmException.badInput("this project's store is PostgreSQL: swarm backup and swarm restore are for the"
                        + " SQLite store; use " + tool + " (the database's own tool) instead"));
    }

    @ClientSide.RunsInClient
    @Command(name = "backup", description = {"Copy the SQLite store to FILE (0600) as one consistent snapshot, while the hub goes on working.",
            "FILE is written only once the copy passed SQLite's integrity check; an existing FILE is replaced only with --force."})
    static final class Backup implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(index = "0", paramLabel = "FILE", description = "Where the copy goes (relative to the working directory).")
        String file;

        @Option(names = "--force", description = "Replace FILE when it exists.")
        boolean force;

        @Override
        public Integer call() {
            Path root = swarm.projectRoot();
            Path target = swarm.fileNamed(file);
            StoreInspection copy = SqliteFiles.backup(sqliteStore(root, "pg_dump"), target, force);
            return swarm.output.result(Output.document("file", target.toString(), "schemaVersion", copy.schemaVersion().orElse(null)),
                    "backed up the store to " + target + " (schema version " + copy.schemaVersion().orElse("?") + "); swarm restore "
                            + Swarm.shellQuote(target.toString()) + " puts it back");
        }
    }

    @ClientSide.RunsInClient
    @Command(name = "restore", description = {"Replace the SQLite store with FILE (made by swarm backup), while no hub runs (swarm down first).",
            "FILE must pass SQLite's integrity check and be a Swarmhub store no newer than this swarm;"
                    + " the replaced store is kept beside it as .swarm/swarm.db.replaced-TIME."})
    static final class Restore implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(index = "0", paramLabel = "FILE", description = "The backup to restore (relative to the working directory).")
        String file;

        @Override
        public Integer call() {
            Path root = swarm.projectRoot();
            Path from = swarm.fileNamed(file);
            Path database = sqliteStore(root, "pg_restore");
            Optional<Path> replaced;
            try (Hub.HubsKeptOut ignored = Hub.keepHubsOut(root, "swarm restore")) { // no hub opens the store while it is replaced
                replaced = SqliteFiles.restore(database, from);
            }
            return swarm.output.result(Output.document("restored", from.toString(), "store", database.toString(),
                    "replaced", replaced.map(Path::toString).orElse(null)),
                    "restored " + from + " to " + database + replaced.map(side -> "; the store it replaced is kept as " + side).orElse(""));
        }
    }
}
