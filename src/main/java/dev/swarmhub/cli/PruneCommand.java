package dev.swarmhub.cli;

import dev.swarmhub.hub.PruneArchive;
import dev.swarmhub.kernel.Retention;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code swarm prune --older-than 30d [--archive FILE]}: the operator's housekeeping of a long-lived project. */
@Command(name = "prune", description = {"Remove events, settled messages (acked, or read when no ACK was asked, or to gone agents) and gone "
        + "agents older than a duration (store time); with --archive, write them to a JSON Lines file first.",
        "The hub does the same by itself with the setting prune.older-than (and prune.archive on: to .swarm/pruned.jsonl)."})
final class PruneCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Option(names = "--older-than", required = true, paramLabel = "DURATION", description = "What was recorded longer ago than this goes, e.g. 30d.")
    String olderThan;

    @Option(names = "--archive", paramLabel = "FILE", description = "Append what is removed to this file (JSON Lines, 0600), synced before each delete.")
    String archive;

    @Override
    public Integer call() {
        var age = LockCommand.duration("--older-than", olderThan);
        try (CommandServices services = swarm.services();
                Retention.Archive to = archive == null ? Retention.Archive.NONE : PruneArchive.appendingTo(swarm.fileNamed(archive))) {
            Retention.Pruned pruned = services.retention.prune(swarm.operatorCaller(), age, to);
            Map<String, Object> counts = pruned.counts().stream()
                    .collect(Collectors.toMap(Retention.Pruned.Count::kind, Retention.Pruned.Count::removed, (a, b) -> a, java.util.LinkedHashMap::new));
            return swarm.output.result(Output.document("removed", counts, "archive", archive == null ? null : swarm.fileNamed(archive).toString()),
                    "removed " + pruned.counts().stream().map(count -> count.removed() + " " + count.kind()).collect(Collectors.joining(", "))
                            + (archive == null ? "" : " (archived to " + swarm.fileNamed(archive) + ")"));
        }
    }
}
