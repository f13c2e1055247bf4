package dev.swarmhub.cli;

import dev.swarmhub.hub.Exposed;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.hub.OperationArguments;
import dev.swarmhub.hub.OperationArguments.Argument;
import dev.swarmhub.kernel.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import tools.jackson.databind.JsonNode;

/**
 * A command derived from a domain operation, so that exposing one on the CLI is one line (see
 * {@code Swarm}): {@code OperationCommand.of(services -> services.messageEndpoints.show, "show",
 * MessageCommands::full, "message")}. Its description is the operation's summary; each argument
 * of the operation's record is an option {@code --kebab-case-name} (its {@code Doc} name when it
 * has one), or a positional parameter when the line names it so (the CLI's concern, not the
 * domain's): described by its {@code Doc}, required when the {@code Doc} says so, a Boolean a
 * flag, a List repeatable and comma-separated, a type listing its values with them in help.
 * The values are converted by the binder HTTP and MCP use ({@link OperationArguments#bind}), so
 * a bad one is refused with the same words, naming the option as typed ("option '--ttl': bad
 * duration 'soon'..."). The command runs as the acting agent, or as the operator when only the
 * operator's token is given, and prints the operation's JSON view with --json, else the text the
 * line passes, else the view as indented text.
 */
final class OperationCommand<A extends Record, R> implements Callable<Integer> {

    private final Function<CommandServices, Exposed<A, R>> which;
    /** The operation over no project: its definition, binder and view (views are plain functions of the answer). */
    private final Exposed<A, R> described;
    private final Function<R, String> text;
    private final Map<String, ArgSpec> values = new LinkedHashMap<>();
    /** Arguments this command gives itself (see {@link #fixing}), by their names on this command line. */
    private final Map<String, Object> fixed = new LinkedHashMap<>();
    private final OperationArguments.Wording wording;
    private CommandSpec spec;

    private OperationCommand(Function<CommandServices, Exposed<A, R>> which, Function<R, String> text, Set<String> positional) {
        this.which = which;
        this.described = which.apply(CommandServices.DESCRIBED);
        this.text = text;
        this.wording = new OperationArguments.Wording(name -> positional.contains(name) ? label(name) : option(name),
                name -> name.startsWith("--") ? "option '" + name + "'" : "parameter '" + name + "'", true, false);
    }

    /** The operation's command: named arguments are positional parameters, in that order; the others options. The view as text. */
    static <A extends Record, R> CommandSpec of(Function<CommandServices, Exposed<A, R>> which, String name, String... positional) {
        return of(which, name, null, positional);
    }

    /** The operation's command, printing {@code text} of the answer without --json. */
    static <A extends Record, R> CommandSpec of(Function<CommandServices, Exposed<A, R>> which, String name, Function<R, String> text,
            String... positional) {
        OperationCommand<A, R> command = new OperationCommand<>(which, text, Set.of(positional));
        Operation<A, R> operation = command.described.operation();
        List<Argument> arguments = OperationArguments.describe(operation.arguments());
        List<String> names = arguments.stream().map(Argument::name).toList();
        for (String named : positional) {
            if (!names.contains(named)) {
                throw new IllegalArgumentException(operation.name() + " has no argument '" + named + "'; it has " + names);
            }
        }
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
        spec.usageMessage().description(escaped(operation.summary()));
        int index = 0;
        for (String named : positional) {
            Argument argument = arguments.get(names.indexOf(named));
            boolean list = argument.type() == List.class;
            PositionalParamSpec.Builder parameter = PositionalParamSpec.builder().index(list ? index + "..*" : String.valueOf(index))
                    .paramLabel(label(named)).description(description(argument)).required(argument.doc().required())
                    .arity(list ? (argument.doc().required() ? "1..*" : "0..*") : (argument.doc().required() ? "1" : "0..1"));
            typed(parameter, argument);
            PositionalParamSpec built = parameter.build();
            spec.addPositional(built);
            command.values.put(label(named), built);
            index++;
        }
        for (Argument argument : arguments) {
            if (Arrays.asList(positional).contains(argument.name())) {
                continue;
            }
            OptionSpec.Builder option = OptionSpec.builder(option(argument.name())).description(description(argument))
                    .required(argument.doc().required());
            if (argument.type() == Boolean.class) {
                option.type(boolean.class).arity("0");
            } else {
                option.paramLabel(label(argument.name()));
                typed(option, argument);
            }
            OptionSpec built = option.build();
            spec.addOption(built);
            command.values.put(option(argument.name()), built);
        }
        command.spec = spec;
        return spec;
    }

    private static void typed(OptionSpec.Builder option, Argument argument) {
        if (argument.type() == List.class) {
            option.type(List.class).auxiliaryTypes(String.class).splitRegex(argument.doc().whole() ? "" : ",");
        } else {
            option.type(String.class);
        }
        if (argument.values() != null) {
            option.completionCandidates(argument.values());
        }
    }

    private static void typed(PositionalParamSpec.Builder parameter, Argument argument) {
        if (argument.type() == List.class) {
            parameter.type(List.class).auxiliaryTypes(String.class).splitRegex(argument.doc().whole() ? "" : ",");
        } else {
            parameter.type(String.class);
        }
        if (argument.values() != null) {
            parameter.completionCandidates(argument.values());
        }
    }

    /**
     * The command with some arguments given by the command itself, not the line ({@code task done}
     * is the report with outcome done): each named argument's option or parameter is removed, and
     * its value (when not null) always given. With its own description.
     */
    static CommandSpec fixing(CommandSpec spec, String description, Map<String, Object> arguments) {
        OperationCommand<?, ?> command = (OperationCommand<?, ?>) spec.userObject();
        arguments.forEach((name, value) -> {
            String named = command.wording.naming().apply(name);
            ArgSpec removed = command.values.remove(named);
            if (removed == null) {
                throw new IllegalArgumentException(spec.name() + " has no argument '" + name + "'");
            }
            spec.remove(removed);
            if (value != null) {
                command.fixed.put(named, value);
            }
        });
        spec.usageMessage().description(escaped(description));
        return spec;
    }

    /** The arguments as given on this command line, bound as HTTP binds a body. */
    A arguments() {
        Map<String, Object> given = new LinkedHashMap<>(fixed);
        values.forEach((name, value) -> {
            Object typed = value.getValue();
            if (typed != null && !Boolean.FALSE.equals(typed) && !(typed instanceof List<?> list && list.isEmpty())) {
                given.put(name, typed instanceof List<?> list ? new ArrayList<>(list) : typed);
            }
        });
        return described.arguments(given, wording);
    }

    @Override
    public Integer call() {
        Swarm swarm = (Swarm) spec.root().userObject();
        A arguments = arguments();
        return swarm.run(which, swarm.readerCaller(), arguments,
                result -> text != null ? text.apply(result) : text(JsonViews.JSON.valueToTree(described.render(arguments, result))));
    }

    /** A JSON view as indented "name: value" lines; list items start with "- ", absent values are left out. */
    static String text(JsonNode view) {
        StringBuilder text = new StringBuilder();
        append(text, view, "");
        return text.toString();
    }

    private static void append(StringBuilder text, JsonNode node, String indent) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                JsonNode value = field.getValue();
                if (value.isNull()) {
                    continue;
                }
                text.append(indent).append(field.getKey()).append(':');
                if (value.isContainer() && !value.isEmpty()) {
                    text.append('\n');
                    append(text, value, indent + "  ");
                } else {
                    text.append(' ').append(value.isEmpty() && value.isContainer() ? "(none)" : scalar(value)).append('\n');
                }
            }
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                int start = text.length();
                append(text, item, indent + "  ");
                if (text.length() == start) {
                    text.append(indent).append("- {}\n");
                } else {
                    text.replace(start, start + indent.length() + 2, indent + "- ");
                }
            }
        } else {
            text.append(indent).append(scalar(node)).append('\n');
        }
    }

    private static String scalar(JsonNode value) {
        return value.isString() ? value.asString() : value.toString();
    }

    /** --include-self for includeSelf. */
    private static String option(String name) {
        return "--" + kebab(name);
    }

    /** INCLUDE-SELF for includeSelf. */
    private static String label(String name) {
        return kebab(name).toUpperCase(Locale.ROOT);
    }

    private static String kebab(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").replace('_', '-').toLowerCase(Locale.ROOT);
    }

    private static String description(Argument argument) {
        String doc = argument.doc().value();
        if (argument.values() != null) {
            doc += " (one of " + String.join(", ", argument.values()) + ")";
        }
        if (!argument.doc().example().isEmpty()) {
            doc += " (e.g. " + argument.doc().example() + ")";
        }
        return escaped(doc + ".");
    }

    /** Picocli formats descriptions: a % is meant literally here. */
    private static String escaped(String text) {
        return text.replace("%", "%%");
    }
}
