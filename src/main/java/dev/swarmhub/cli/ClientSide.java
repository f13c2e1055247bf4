package dev.swarmhub.cli;

import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What the client ({@link SwarmClient}) does itself instead of sending the command line to the
 * hub. A command says it where it is defined, with the annotations below; the build writes them
 * into a small table ({@value #TABLE}, by {@link #main}) that the client reads, because reading
 * the annotations themselves would cost every command about 100 ms of start-up (annotation proxies).
 */
final class ClientSide {

    /**
     * On a command: it runs in the client's own process (it manages the hub, or serves stdio itself),
     * with its subcommands. On an option: so does the command when given it (an endless --follow prints as it goes).
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.TYPE, ElementType.FIELD})
    @interface RunsInClient {
    }

    /** On a command: a TEXT given as "-" is read from the client's standard input (the hub runs the command without it). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface ReadsTextFromStdin {
    }

    static final String TABLE = "client-side.tsv";
    private static final String IN_CLIENT = "client";
    private static final String STDIN = "stdin";
    /** Help and version print in the client. */
    private static final Set<String> HELP_FLAGS = Set.of("-h", "--help", "-V", "--version");
    /** The global options that take a value (their value is no command word). */
    static final Set<String> OPTIONS_WITH_VALUES = Set.of("--root", "--agent", "--token");

    /** Per command path ("lock acquire"): "client", "stdin", or the options that make it run in the client; "" for none. */
    private final Map<String, String> commands;

    private ClientSide(Map<String, String> commands) {
        this.commands = commands;
    }

    /** The table the build wrote, or, when running from classes without it, the one the annotations give. */
    static ClientSide load() {
        try (InputStream in = ClientSide.class.getResourceAsStream(TABLE)) {
            if (in == null) {
                return fromAnnotations();
            }
            Map<String, String> commands = new LinkedHashMap<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                int tab = line.indexOf('\t');
                if (tab > 0) {
                    commands.put(line.substring(0, tab), line.substring(tab + 1));
                }
            }
            return new ClientSide(commands);
        } catch (IOException e) {
            return fromAnnotations();
        }
    }

    /** Reads the annotations of every command reachable from {@link Swarm}. */
    static ClientSide fromAnnotations() {
        Map<String, String> commands = new TreeMap<>();
        collect(Stream.concat(Swarm.COMMANDS.stream(), Stream.of(CommandLine.HelpCommand.class)).toList(), "", false, commands);
        return new ClientSide(commands);
    }

    private static void collect(List<Class<?>> subcommands, String prefix, boolean parentInClient, Map<String, String> commands) {
        for (Class<?> sub : subcommands) {
            Command declared = sub.getAnnotation(Command.class);
            boolean inClient = parentInClient || sub.isAnnotationPresent(RunsInClient.class) || sub == CommandLine.HelpCommand.class;
            String options = Arrays.stream(sub.getDeclaredFields()).filter(field -> field.isAnnotationPresent(RunsInClient.class))
                    .map(field -> field.getAnnotation(Option.class)).flatMap(option -> Arrays.stream(option.names()))
                    .collect(Collectors.joining(" "));
            String what = inClient ? IN_CLIENT : sub.isAnnotationPresent(ReadsTextFromStdin.class) ? STDIN : options;
            for (String name : names(declared)) {
                commands.put(prefix + name, what);
                collect(List.of(declared.subcommands()), prefix + name + " ", inClient, commands);
            }
        }
    }

    private static List<String> names(Command declared) {
        return Stream.concat(Stream.of(declared.name()), Arrays.stream(declared.aliases())).toList();
    }

    /** The build writes the table: {@code ClientSide DIRECTORY} (the classes directory of this package). */
    public static void main(String[] args) throws IOException {
        Files.writeString(Path.of(args[0]).resolve(TABLE), fromAnnotations().text(), StandardCharsets.UTF_8);
    }

    String text() {
        return commands.entrySet().stream().map(entry -> entry.getKey() + "\t" + entry.getValue() + "\n").collect(Collectors.joining());
    }

    // The client runs what follows at every start: no lambdas, no string concatenation with +
    // (each bootstraps invokedynamic machinery, tens of ms on a cold JVM).

    boolean runsInClient(List<String> arguments) {
        for (String argument : arguments) {
            if (HELP_FLAGS.contains(argument)) {
                return true;
            }
        }
        String command = command(arguments);
        String what = commands.get(command);
        if (what == null) {
            return command.isEmpty(); // no command: the CLI explains here; an unknown one: the hub's CLI does
        }
        if (what.equals(IN_CLIENT)) {
            return true;
        }
        if (!what.equals(STDIN) && !what.isEmpty()) {
            for (String option : what.split(" ")) {
                if (arguments.contains(option)) {
                    return true;
                }
            }
        }
        return false;
    }

    boolean readsTextFromStdin(List<String> arguments) {
        return STDIN.equals(commands.get(command(arguments)));
    }

    /** The command path the words name ("lock acquire"), as long as the table knows it; "" for none. */
    String command(List<String> arguments) {
        String path = "";
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            if (OPTIONS_WITH_VALUES.contains(argument)) {
                i++;
            } else if (!argument.startsWith("-")) {
                String longer = path.isEmpty() ? argument : path.concat(" ").concat(argument);
                if (!commands.containsKey(longer)) {
                    return path.isEmpty() ? argument : path;
                }
                path = longer;
            }
        }
        return path;
    }
}
