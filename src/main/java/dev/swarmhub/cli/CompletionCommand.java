package dev.swarmhub.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code swarm completion bash|zsh}: the shell completion script picocli generates from the model of every command. */
@ClientSide.RunsInClient
@Command(name = "completion", description = "Print shell completion for swarm: add  source <(swarm completion bash)  to ~/.bashrc "
        + "(zsh: source <(swarm completion zsh) in ~/.zshrc).")
final class CompletionCommand implements Callable<Integer> {

    enum Shell { bash, zsh }

    @ParentCommand
    Swarm swarm;

    @Parameters(paramLabel = "SHELL", description = "One of ${COMPLETION-CANDIDATES}.")
    Shell shell;

    @Override
    public Integer call() {
        String script = AutoComplete.bash("swarm", Swarm.newCommandLine(Swarm.EVERY_COMMAND));
        // zsh runs the bash script through its bash-completion emulation
        String prelude = shell == Shell.zsh ? "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" : "";
        return swarm.output.result(Output.document("shell", shell.name(), "script", prelude + script), prelude + script);
    }
}
