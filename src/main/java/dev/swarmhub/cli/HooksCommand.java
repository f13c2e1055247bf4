package dev.swarmhub.cli;

import dev.swarmhub.host.ClientHookFiles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code swarm hooks install|uninstall --client claude|codex}: the client's hooks for this project. */
@Command(name = "hooks", description = "Install or remove an agent client's hooks for this project: messages reach the agent with its "
        + "prompts and tool results, its identity survives restarts, and its state (working, idle, waiting) is known.",
        subcommands = {HooksCommand.Install.class, HooksCommand.Uninstall.class})
final class HooksCommand {

    @ParentCommand
    Swarm swarm;

    /** --client, for install and uninstall alike. */
    static final class ClientChoice {
        @Option(names = "--client", required = true, paramLabel = "CLIENT", description = "claude or codex")
        String name;

        ClientHookFiles.Client chosen() {
            return ClientHookFiles.client(name);
        }
    }

    @Command(name = "install", description = "Merge this project's hooks into the client's project file (.claude/settings.json, "
            + ".codex/hooks.json), keeping everything else there.")
    static final class Install implements Callable<Integer> {
        @ParentCommand
        HooksCommand hooks;

        @Mixin
        ClientChoice client;

        @Override
        public Integer call() {
            Swarm swarm = hooks.swarm;
            ClientHookFiles.Client chosen = client.chosen();
            String command = swarm.selfCommand() + " --root " + Swarm.shellQuote(swarm.projectRoot().toString()) + " hook " + chosen.name();
            Path file = ClientHookFiles.install(swarm.projectRoot(), chosen, command);
            String note = chosen.name().equals("codex")
                    ? "\nCodex runs a project's hooks only in a trusted project, after you approve them once in /hooks (again after each change)."
                    + "\nOptional: Codex's notify program can only be set in ~/.codex/config.toml (it ignores a project's): notify = ["
                    + swarm.selfCommand().replace("'", "\"") + ", \"hook\", \"codex\"]"
                    : "\nClaude Code runs them once you trust this folder; /hooks lists them.";
            return swarm.output.result(Output.document("client", chosen.name(), "file", file.toString(), "events", chosen.events()),
                    "installed " + chosen.name() + " hooks in " + file + " (" + String.join(", ", chosen.events()) + ")" + note);
        }
    }

    @Command(name = "uninstall", description = "Remove this project's hooks from the client's file (the others stay).")
    static final class Uninstall implements Callable<Integer> {
        @ParentCommand
        HooksCommand hooks;

        @Mixin
        ClientChoice client;

        @Override
        public Integer call() {
            ClientHookFiles.Client chosen = client.chosen();
            Path file = ClientHookFiles.uninstall(hooks.swarm.projectRoot(), chosen);
            return hooks.swarm.output.result(Output.document("client", chosen.name(), "file", file == null ? null : file.toString()),
                    file == null ? "no " + chosen.file() + ": nothing to remove" : "removed " + chosen.name() + " hooks from " + file);
        }
    }
}
