package dev.swarmhub.cli;

import dev.swarmhub.kernel.SwarmException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code swarm config [NAME VALUE]}: project-wide settings kept in the store. */
@Command(name = "config", description = "Show settings, or (operator) set one: swarm config agents.stale-after 60s")
final class ConfigCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE")
    String value;

    @Override
    public Integer call() {
        try (CommandServices services = swarm.services()) {
            if (name != null && value != null) {
                services.settings.set(swarm.operatorCaller(), name, value);
            }
            Map<String, String> all = services.settings.all();
            if (name != null && !all.containsKey(name)) {
                throw SwarmException.badInput("unknown setting '" + name + "': known are " + String.join(", ", all.keySet()));
            }
            Map<String, Object> document = name == null ? Map.copyOf(all) : Map.of(name, all.get(name));
            return swarm.output.result(Output.document("settings", document), document.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining("\n")));
        }
    }
}
