package dev.swarmhub.cli;

import dev.swarmhub.kernel.SwarmException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code swarm config [set|get] [NAME [VALUE]]}: project-wide settings kept in the store. */
@Command(name = "config", description = "Show settings, or (operator) set one: swarm config agents.stale-after 60s "
        + "(also: swarm config set NAME VALUE, swarm config get NAME)")
final class ConfigCommand implements Callable<Integer> {

    /** The optional verbs, and how many words each takes after it. */
    private static final Map<String, Integer> VERBS = Map.of("set", 2, "get", 1);

    @ParentCommand
    Swarm swarm;

    @Parameters(arity = "0..3", paramLabel = "[set|get] NAME [VALUE]")
    List<String> words = List.of();

    @Override
    public Integer call() {
        String verb = words.isEmpty() || !VERBS.containsKey(words.get(0)) ? null : words.get(0);
        List<String> given = verb == null ? words : words.subList(1, words.size());
        if (verb == null ? given.size() > 2 : given.size() != VERBS.get(verb)) {
            throw SwarmException.badInput("usage: swarm config [NAME [VALUE]], swarm config set NAME VALUE or swarm config get NAME");
        }
        String name = given.isEmpty() ? null : given.get(0);
        String value = given.size() < 2 ? null : given.get(1);
        try (CommandServices services = swarm.services()) {
            if (value != null) {
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
