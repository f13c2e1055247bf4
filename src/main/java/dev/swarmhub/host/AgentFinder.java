package dev.swarmhub.host;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.kernel.SwarmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * Finds coding agents in tmux panes: walks each pane's process tree (outermost first) and
 * matches each process's program name, or for an interpreter (node, python, sh, ...) its script
 * or module, against the kind patterns. A bare interpreter is never an agent. Only agents whose
 * working directory lies inside the project count.
 */
public final class AgentFinder {

    /** Patterns match a whole program name, script name, script path or python module. */
    public static final Map<String, Pattern> DEFAULT_PATTERNS = orderedPatterns(
            "claude", "claude|claude-code|.*/@anthropic-ai/claude-code/.*",
            "codex", "codex|.*/@openai/codex/.*",
            "aider", "aider|aider-chat",
            "gemini", "gemini|.*/@google/gemini-cli/.*",
            "cursor", "cursor-agent");
    private static final Pattern INTERPRETER = Pattern.compile("node|nodejs|bun|deno|python[0-9.]*|sh|bash|dash|zsh");

    private final Map<String, Pattern> patterns;
    private final List<Path> roots;

    public AgentFinder(Map<String, Pattern> patterns, Path projectRoot) {
        this.patterns = patterns;
        Path absolute = projectRoot.toAbsolutePath().normalize();
        List<Path> both = new ArrayList<>(List.of(absolute));
        try {
            both.add(absolute.toRealPath());
        } catch (IOException ignored) {
            // the lexical root alone
        }
        this.roots = both;
    }

    /**
     * The default patterns, overridden or extended by {@code .swarm/agent-patterns} (lines
     * {@code kind=regex}; # starts a comment).
     */
    public static Map<String, Pattern> patternsFor(Path projectRoot) {
        Map<String, Pattern> patterns = new LinkedHashMap<>(DEFAULT_PATTERNS);
        Path file = projectRoot.resolve(".swarm/agent-patterns");
        if (!Files.exists(file)) {
            return patterns;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String entry = line.strip();
                if (entry.isEmpty() || entry.startsWith("#")) {
                    continue;
                }
                int equals = entry.indexOf('=');
                if (equals <= 0) {
                    throw SwarmException.badInput(file + ": expected kind=regex, got: " + entry);
                }
                String kind = entry.substring(0, equals).strip();
                if (!Agent.KINDS.contains(kind)) {
                    throw SwarmException.badInput(file + ": unknown agent kind '" + kind + "': use one of " + String.join(", ", Agent.KINDS));
                }
                patterns.put(kind, Pattern.compile(entry.substring(equals + 1).strip()));
            }
        } catch (IOException e) {
            throw SwarmException.badInput("cannot read " + file + ": " + e.getMessage());
        } catch (PatternSyntaxException e) {
            throw SwarmException.badInput(file + ": bad pattern: " + e.getMessage());
        }
        return patterns;
    }

    /** The agents in these panes of the tmux server at {@code socket}, each bound to its pane. */
    public List<Agents.Sighting> find(String socket, List<Tmux.Pane> panes) {
        List<Agents.Sighting> sightings = new ArrayList<>();
        for (Tmux.Pane pane : panes) {
            Optional<ProcessHandle> shell = ProcessHandle.of(pane.pid());
            Optional<Instant> shellStarted = shell.flatMap(process -> process.info().startInstant());
            if (shellStarted.isEmpty()) {
                continue;
            }
            List<ProcessHandle> tree = Stream.concat(Stream.of(shell.get()), shell.get().descendants()).toList();
            for (ProcessHandle process : tree) {
                Optional<String> kind = kindOf(process);
                Optional<Instant> started = process.info().startInstant();
                if (kind.isPresent() && started.isPresent() && insideProject(workingDirectory(process).orElse(Path.of(pane.currentPath())))) {
                    sightings.add(new Agents.Sighting(new PaneBinding(socket, pane.id(), pane.pid(), shellStarted.get().toEpochMilli(),
                            process.pid(), started.get().toEpochMilli()), kind.get()));
                    break;
                }
            }
        }
        return sightings;
    }

    Optional<String> kindOf(ProcessHandle process) {
        Optional<String> command = process.info().command();
        if (command.isEmpty()) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>(List.of(baseName(command.get())));
        if (INTERPRETER.matcher(names.get(0)).matches()) {
            String[] arguments = process.info().arguments().orElse(new String[0]);
            for (int i = 0; i < arguments.length; i++) {
                if (arguments[i].equals("-m") && i + 1 < arguments.length) {
                    names.add(arguments[i + 1]);
                    break;
                }
                if (arguments[i].equals("-c")) {
                    break; // an inline command is not a program we can name
                }
                if (!arguments[i].startsWith("-")) {
                    names.add(baseName(arguments[i]));
                    names.add(arguments[i]);
                    break;
                }
            }
            names.remove(0); // the interpreter itself is never the agent
        }
        for (Map.Entry<String, Pattern> kind : patterns.entrySet()) {
            if (names.stream().anyMatch(name -> kind.getValue().matcher(name).matches())) {
                return Optional.of(kind.getKey());
            }
        }
        return Optional.empty();
    }

    private boolean insideProject(Path directory) {
        Path normalised = directory.toAbsolutePath().normalize();
        return roots.stream().anyMatch(normalised::startsWith);
    }

    private static Optional<Path> workingDirectory(ProcessHandle process) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "cwd")));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    private static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static Map<String, Pattern> orderedPatterns(String... kindsAndRegexes) {
        Map<String, Pattern> patterns = new LinkedHashMap<>();
        for (int i = 0; i < kindsAndRegexes.length; i += 2) {
            patterns.put(kindsAndRegexes[i], Pattern.compile(kindsAndRegexes[i + 1]));
        }
        return Collections.unmodifiableMap(patterns);
    }
}
