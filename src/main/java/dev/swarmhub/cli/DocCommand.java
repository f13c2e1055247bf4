package dev.swarmhub.cli;

import dev.swarmhub.hub.PlanEndpoints;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.plan.Plan;
import dev.swarmhub.plan.PlanOperations;
import dev.swarmhub.plan.PlanText;
import dev.swarmhub.plan.Section;
import dev.swarmhub.plan.VersionConflictException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm doc ...}: the coordination document (COORDINATION.md), kept in the store as
 * versioned sections and written to the file by the hub. Most subcommands are derived from the
 * document's operations ({@link #addDerived}); {@code set} and {@code append} are written here for
 * their text read from standard input, {@code edit} for the editor it runs in the client.
 */
@Command(name = "doc", description = "The coordination document (COORDINATION.md): sections agents append to and set, "
        + "with versions; the hub writes the file and takes in hand edits of it.",
        subcommands = {DocCommand.Set.class, DocCommand.Append.class, DocCommand.Edit.class})
final class DocCommand implements Runnable {

    @ParentCommand
    Swarm swarm;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing subcommand: try swarm doc --help");
    }

    static void addDerived(CommandLine doc) {
        for (String takingText : List.of("set", "append")) { // a Markdown line often starts with "-": text, not an option
            doc.getSubcommands().get(takingText).setUnmatchedOptionsArePositionalParams(true);
        }
        Function<CommandServices, PlanEndpoints> plan = services -> services.planEndpoints;
        doc.addSubcommand(OperationCommand.of(s -> plan.apply(s).show, "show", DocCommand::document, "section"));
        doc.addSubcommand(OperationCommand.of(s -> plan.apply(s).sections, "sections", DocCommand::sections));
        doc.addSubcommand(OperationCommand.of(s -> plan.apply(s).removeLine, "remove-line", DocCommand::changed, "section", "line"));
        doc.getSubcommands().get("remove-line").setUnmatchedOptionsArePositionalParams(true);
        doc.addSubcommand(OperationCommand.of(s -> plan.apply(s).history, "history", DocCommand::history, "section"));
        doc.addSubcommand(OperationCommand.of(s -> plan.apply(s).addSection, "add-section", DocCommand::changed, "name"));
        doc.addSubcommand(OperationCommand.of(s -> plan.apply(s).renameSection, "rename-section", DocCommand::changed, "section", "name"));
        doc.addSubcommand(OperationCommand.of(s -> plan.apply(s).removeSection, "remove-section", DocCommand::changed, "section"));
    }

    @ClientSide.ReadsTextFromStdin
    @Command(name = "set", description = "Replace a section's text. With --if-version, refused (exit 3, with the current version) "
            + "when someone changed it since you read that version.")
    static final class Set implements Callable<Integer> {
        @ParentCommand
        DocCommand doc;

        @Parameters(index = "0", paramLabel = "SECTION", description = "The section's name.")
        String section;

        @Parameters(index = "1", paramLabel = "TEXT", description = "The new text (Markdown), or - to read it from standard input.")
        String text;

        @Option(names = "--if-version", paramLabel = "N", description = "Only if the section is still at this version.")
        Long ifVersion;

        @Override
        public Integer call() {
            Swarm swarm = doc.swarm;
            return swarm.run(services -> services.planEndpoints.set, swarm.readerCaller(),
                    new PlanOperations.SetText(section, MessageCommands.readText(text), ifVersion), DocCommand::changed);
        }
    }

    @ClientSide.ReadsTextFromStdin
    @Command(name = "append", description = "Add lines at the end of a section; never refused for a change made meanwhile.")
    static final class Append implements Callable<Integer> {
        @ParentCommand
        DocCommand doc;

        @Parameters(index = "0", paramLabel = "SECTION", description = "The section's name.")
        String section;

        @Parameters(index = "1", paramLabel = "TEXT", description = "The lines to add, or - to read them from standard input.")
        String text;

        @Override
        public Integer call() {
            Swarm swarm = doc.swarm;
            return swarm.run(services -> services.planEndpoints.append, swarm.readerCaller(),
                    new PlanOperations.AppendText(section, MessageCommands.readText(text)), DocCommand::changed);
        }
    }

    @ClientSide.RunsInClient
    @Command(name = "edit", description = "Edit a section in $VISUAL or $EDITOR (else vi). It is saved only if nobody changed it "
            + "meanwhile; otherwise both versions are shown, yours kept in a file, and nothing is overwritten (exit 3).")
    static final class Edit implements Callable<Integer> {
        @ParentCommand
        DocCommand doc;

        @Parameters(index = "0", paramLabel = "SECTION", description = "The section's name.")
        String section;

        @Override
        public Integer call() throws IOException, InterruptedException {
            Swarm swarm = doc.swarm;
            Caller caller = swarm.readerCaller();
            Section read = swarm.call(services -> services.planEndpoints.show, caller, new PlanOperations.Show(section)).sections().getFirst();
            Path draft = Files.createTempFile("swarm-doc-", ".md"); // 0600
            Files.writeString(draft, read.text().isEmpty() ? "" : read.text() + "\n");
            int exit = editor(swarm, draft);
            if (exit != 0) {
                throw SwarmException.badInput("the editor exited with " + exit + ": nothing saved (your text is in " + draft + ")");
            }
            String edited = Files.readString(draft, StandardCharsets.UTF_8);
            if (PlanText.text("text", edited).equals(read.text())) {
                Files.delete(draft);
                return swarm.output.result(Map.of("changed", false, "version", read.version()), "no change: section '" + read.name()
                        + "' stays at version " + read.version());
            }
            try {
                int done = swarm.run(services -> services.planEndpoints.set, caller,
                        new PlanOperations.SetText(read.name(), edited, read.version()), DocCommand::changed);
                Files.delete(draft);
                return done;
            } catch (VersionConflictException conflict) {
                Section theirs = conflict.current();
                if (!swarm.json) {
                    swarm.output.warning("section '" + theirs.name() + "' changed while you edited it (version " + read.version() + " -> "
                            + theirs.version() + ", by " + theirs.changedBy() + "): nothing was overwritten.\n--- theirs (version "
                            + theirs.version() + ")\n" + theirs.text() + "\n--- yours (kept in " + draft + ")\n" + PlanText.text("text", edited)
                            + "\n---\nMerge them, then: swarm doc set '" + theirs.name() + "' - --if-version " + theirs.version() + " < " + draft);
                }
                throw conflict;
            }
        }

        /** Runs the user's editor on the file, as git does: the variable may hold arguments, so a shell reads it (never other text). */
        private static int editor(Swarm swarm, Path file) throws IOException, InterruptedException {
            String editor = java.util.stream.Stream.of(swarm.environment("VISUAL"), swarm.environment("EDITOR"), "vi")
                    .filter(value -> value != null && !value.isBlank()).findFirst().orElseThrow();
            return new ProcessBuilder("sh", "-c", editor + " \"$1\"", "swarm-doc-editor", file.toString()).inheritIO().start().waitFor();
        }
    }

    // ------------------------------------------------------------------------------------- text

    /** The whole document with each section's version, or one section's text alone (as it is, for a pipe). */
    static String document(Plan.Document document) {
        if (document.sections().size() == 1) {
            return document.sections().getFirst().text();
        }
        return document.sections().stream().map(section -> "## " + section.name() + "  (version " + section.version() + ")"
                + (section.text().isEmpty() ? "" : "\n\n" + section.text())).collect(Collectors.joining("\n\n"));
    }

    static String sections(Plan.Document document) {
        return document.sections().isEmpty() ? "no sections" : document.sections().stream().map(section -> String.format(Locale.ROOT,
                "%-30s v%-4d %4d lines  %s by %s", section.name(), section.version(), section.lines(),
                Instant.ofEpochMilli(section.changedAt()), section.changedBy())).collect(Collectors.joining("\n"));
    }

    static String changed(Plan.Changed changed) {
        return "section '" + changed.section().name() + "' at version " + changed.section().version() + " (document revision "
                + changed.revision() + ")";
    }

    static String history(List<Event> events) {
        return events.isEmpty() ? "no changes" : events.stream().map(event -> Instant.ofEpochMilli(event.at()) + "  "
                + (event.agent() == null ? "operator" : event.agent()) + "  " + event.kind() + "  "
                + event.details().getOrDefault("section", "") + summary(event)).collect(Collectors.joining("\n"));
    }

    private static String summary(Event event) {
        Object text = event.details().getOrDefault("text", event.details().getOrDefault("reason", event.details().get("lines")));
        if (text == null) {
            return "";
        }
        String line = text.toString().replace('\n', ' ');
        return ": " + (line.length() > 80 ? line.substring(0, 79) + "…" : line);
    }
}
