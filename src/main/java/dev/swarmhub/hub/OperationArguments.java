package dev.swarmhub.hub;

import dev.swarmhub.kernel.Doc;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.SwarmException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * An operation's arguments from a transport's named values (a JSON body's fields, an MCP call's
 * arguments, query parameters), and their JSON schema: both read from the argument record and its
 * {@link Doc}s, so every adapter takes the same names and types and names the same argument in its
 * errors. A value's type is checked strictly: 5 is not "5", "true" is not true, except in query
 * parameters, which are all text.
 */
public final class OperationArguments {

    private OperationArguments() {
    }

    /**
     * How a transport names and types values: its name for an argument (MCP tools: includeSelf is
     * include_self there; the CLI: --include-self), how errors call one ("field 'ttl'", "option
     * '--ttl'"), whether all values come as text, and whether schemas are detailed: examples, and
     * "additionalProperties": false (a tool list stays compact: agents read it in every session;
     * an unknown argument is refused all the same).
     */
    public record Wording(UnaryOperator<String> naming, UnaryOperator<String> called, boolean textOnly, boolean detailed) {
        static final Wording BODY = of("field", false, UnaryOperator.identity(), true);
        static final Wording TOOL = of("argument", false, Wording::snakeCase, false);
        static final Wording QUERY = of("parameter", true, UnaryOperator.identity(), true);

        /** Values named by {@code naming} (from an argument's own name), called "{@code noun} 'name'" in errors. */
        public static Wording of(String noun, boolean textOnly, UnaryOperator<String> naming, boolean detailed) {
            return new Wording(naming, name -> noun + " '" + name + "'", textOnly, detailed);
        }

        /** Argument names (the records' own, a few dozen) as snake case: every tool call binds its arguments by them. */
        private static final Map<String, String> SNAKE_CASE = new ConcurrentHashMap<>();

        static String snakeCase(String name) {
            return SNAKE_CASE.computeIfAbsent(name, camel -> camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT));
        }
    }

    /**
     * One argument as every adapter describes it: its own name (a JSON field's), its type, its
     * documentation, and the values it takes when its type lists them (null otherwise).
     */
    public record Argument(String name, Class<?> type, Doc doc, List<String> values) {
    }

    /** The arguments of an operation's argument record, in order. */
    public static List<Argument> describe(Class<? extends Record> type) {
        return Arrays.stream(Shape.OF.get(type).components())
                .map(component -> new Argument(wireName(component), component.getType(), doc(component), JsonSchemas.names(component.getType()))).toList();
    }

    /** A record's components and canonical constructor, looked up once per record type. */
    private record Shape(RecordComponent[] components, Constructor<?> constructor) {
        private static final ClassValue<Shape> OF = new ClassValue<>() {
            @Override
            protected Shape computeValue(Class<?> type) {
                RecordComponent[] components = type.getRecordComponents();
                for (RecordComponent component : components) {
                    doc(component); // every argument is documented: checked once, here
                }
                try {
                    return new Shape(components, type.getDeclaredConstructor(Arrays.stream(components).map(RecordComponent::getType)
                            .toArray(Class<?>[]::new)));
                } catch (NoSuchMethodException unusable) {
                    throw new IllegalStateException(type + " is not an operation's argument record", unusable);
                }
            }
        };
    }

    /** The arguments from a transport's values by name, each converted to its type; every error names the value as the transport does. */
    public static <A extends Record> A bind(Class<A> type, Map<String, ?> values, Wording wording) {
        Shape shape = Shape.OF.get(type);
        RecordComponent[] components = shape.components();
        Map<String, RecordComponent> byName = new LinkedHashMap<>();
        for (RecordComponent component : components) {
            byName.put(name(component, wording), component);
        }
        for (String given : values.keySet()) {
            if (!byName.containsKey(given)) {
                throw SwarmException.badInput("unknown " + wording.called().apply(given)
                        + (byName.isEmpty() ? ": this operation takes none" : "; this operation takes " + String.join(", ", byName.keySet())));
            }
        }
        Object[] arguments = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent component = components[i];
            Object value = values.get(name(component, wording));
            if (value == null && doc(component).required()) {
                throw SwarmException.badInput("missing " + wording.called().apply(name(component, wording)) + ": " + doc(component).value());
            }
            arguments[i] = value == null ? null : convert(component, value, wording);
        }
        try {
            return type.cast(shape.constructor().newInstance(arguments));
        } catch (InvocationTargetException thrown) {
            if (thrown.getCause() instanceof RuntimeException failure) {
                throw failure; // the record's own check: a SwarmException naming the argument
            }
            throw new IllegalStateException(thrown.getCause());
        } catch (ReflectiveOperationException unusable) {
            throw new IllegalStateException(type + " is not an operation's argument record", unusable);
        }
    }

    private static Object convert(RecordComponent component, Object value, Wording wording) {
        Class<?> type = component.getType();
        String name = name(component, wording);
        if (type == List.class) {
            if (!(value instanceof List<?> list) || list.stream().anyMatch(item -> !(item instanceof String))) {
                throw wrongType(wording, name, "an array of strings");
            }
            return List.copyOf(list.stream().map(String.class::cast).toList());
        }
        if (type == Boolean.class) {
            if (wording.textOnly() && value instanceof String text && (text.equals("true") || text.equals("false"))) {
                return Boolean.valueOf(text);
            }
            if (!(value instanceof Boolean)) {
                throw wrongType(wording, name, "true or false");
            }
            return value;
        }
        if (type == Integer.class) {
            long number = wholeNumber(wording, name, value);
            if (number < 1 || number > Integer.MAX_VALUE) {
                throw SwarmException.badInput(wording.called().apply(name) + " must be a positive whole number, not " + number);
            }
            return (int) number;
        }
        if (type == Long.class) {
            return wholeNumber(wording, name, value);
        }
        if (type == Double.class) {
            return number(wording, name, value);
        }
        if (!(value instanceof String text)) {
            throw wrongType(wording, name, "a string");
        }
        if (type == String.class) {
            return text;
        }
        try {
            return type == Duration.class ? Durations.parse(text) : parsed(type, text);
        } catch (SwarmException refused) { // the type's own words ("bad duration 'soon'"), and which value it was
            throw new SwarmException(refused.kind(), wording.called().apply(name) + ": " + refused.getMessage(), refused);
        }
    }

    private static long wholeNumber(Wording wording, String name, Object value) {
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (wording.textOnly() && value instanceof String text && Limits.digits(text.startsWith("-") ? text.substring(1) : text, 18)) {
            return Long.parseLong(text);
        }
        throw wrongType(wording, name, "a whole number");
    }

    private static double number(Wording wording, String name, Object value) {
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        if (wording.textOnly() && value instanceof String text && text.strip().matches("[0-9]{1,12}(\\.[0-9]{1,12})?")) {
            return Double.parseDouble(text.strip());
        }
        throw wrongType(wording, name, "a number");
    }

    /** A value of a domain type read from its text by the type's own {@code parse(String)} (Mode, MessageType). */
    private static Object parsed(Class<?> type, String text) {
        try {
            Method parse = type.getMethod("parse", String.class);
            if (!Modifier.isStatic(parse.getModifiers()) || parse.getReturnType() != type) {
                throw new IllegalStateException(type + " has no static parse(String)");
            }
            return parse.invoke(null, text);
        } catch (InvocationTargetException thrown) {
            if (thrown.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IllegalStateException(thrown.getCause());
        } catch (ReflectiveOperationException missing) {
            throw new IllegalStateException(type + " has no static parse(String)", missing);
        }
    }

    private static SwarmException wrongType(Wording wording, String name, String expected) {
        return SwarmException.badInput("wrong type for " + wording.called().apply(name) + ": expected " + expected);
    }

    /** The JSON schema of the arguments ({@link JsonSchemas}): an object of the documented properties, nothing else allowed. */
    static Map<String, Object> schema(Class<? extends Record> type, Wording wording) {
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (RecordComponent component : type.getRecordComponents()) {
            Doc doc = doc(component);
            Map<String, Object> property = JsonSchemas.of(component.getGenericType(), null);
            property.put("description", doc.value());
            if (!doc.example().isEmpty() && wording.detailed()) {
                property.put("examples", List.of(doc.example()));
            }
            properties.put(name(component, wording), property);
            if (doc.required()) {
                required.add(name(component, wording));
            }
        }
        Map<String, Object> schema = OrderedMap.of("type", "object", "properties", properties);
        if (wording.detailed()) {
            schema.put("additionalProperties", false);
        }
        if (!required.isEmpty()) {
            schema.put("required", required);
        }
        return schema;
    }

    private static String name(RecordComponent component, Wording wording) {
        return wording.naming().apply(wireName(component));
    }

    /** The argument's own name: its {@link Doc#name}, else the component's. */
    private static String wireName(RecordComponent component) {
        return doc(component).name().isEmpty() ? component.getName() : doc(component).name();
    }

    private static Doc doc(RecordComponent component) {
        Doc doc = component.getAnnotation(Doc.class);
        if (doc == null) {
            throw new IllegalStateException(component.getDeclaringRecord().getName() + "." + component.getName() + " has no @Doc");
        }
        return doc;
    }
}
