package dev.swarmhub.hub;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.swarmhub.kernel.OrderedMap;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The JSON schema of a Java type, one mapping for what the hub reads (an operation's argument
 * record, see {@link OperationArguments#schema}) and what it writes (the view records of
 * {@link JsonViews}, written by Jackson in component order): text, whole numbers, true/false,
 * times (ISO-8601), lists, a domain type that lists its values ({@code static List<String> names()}:
 * an enum), and records, each an object of its components. In an answer, a component is present
 * always unless Jackson leaves it out when null ({@link JsonInclude}), may be null only when it
 * says so ({@link Field#nullable}), and an {@link JsonUnwrapped} record's components stand in its place.
 */
final class JsonSchemas {

    private JsonSchemas() {
    }

    /** What a component of an answer means, whether it may be null, and the type listing its values (Mode; an enum: its names in lower case). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface Field {
        String value() default "";

        boolean nullable() default false;

        Class<?> valuesOf() default Void.class;
    }

    /**
     * The named object schemas that others refer to ({@code $ref}): each record once, under its
     * simple name without a "View" suffix, at {@code prefix} ("#/components/schemas/" in the
     * OpenAPI document). Without definitions, records are written in place.
     */
    static final class Definitions {
        private final String prefix;
        private final Map<String, Map<String, Object>> schemas = new LinkedHashMap<>();
        private final Map<String, Class<?>> named = new LinkedHashMap<>();

        Definitions(String prefix) {
            this.prefix = prefix;
        }

        Map<String, Map<String, Object>> schemas() {
            return schemas;
        }

        private Map<String, Object> refer(Class<?> record) {
            String name = name(record);
            if (named.putIfAbsent(name, record) instanceof Class<?> other && other != record) {
                throw new IllegalStateException(record + " and " + other + " would share the schema name " + name);
            }
            if (!schemas.containsKey(name)) {
                schemas.put(name, null); // taken before its components are visited
                schemas.put(name, object(record, this));
            }
            return OrderedMap.of("$ref", prefix + name);
        }
    }

    static String name(Class<?> record) {
        String name = record.getSimpleName();
        return name.endsWith("View") && name.length() > 4 ? name.substring(0, name.length() - 4) : name;
    }

    /** The schema of a value of this type; records are referred to in {@code definitions}, or written in place when it is null. */
    static Map<String, Object> of(Type type, Definitions definitions) {
        if (type instanceof ParameterizedType generic) {
            Class<?> raw = (Class<?>) generic.getRawType();
            if (List.class.isAssignableFrom(raw)) {
                return OrderedMap.of("type", "array", "items", of(generic.getActualTypeArguments()[0], definitions));
            }
            if (Map.class.isAssignableFrom(raw)) {
                return OrderedMap.of("type", "object");
            }
            throw new IllegalStateException("no JSON schema for " + type);
        }
        Class<?> plain = (Class<?>) type;
        if (plain == String.class || plain == Duration.class) {
            return OrderedMap.of("type", "string");
        }
        if (plain == Boolean.class || plain == boolean.class) {
            return OrderedMap.of("type", "boolean");
        }
        if (plain == Integer.class || plain == int.class || plain == Long.class || plain == long.class) {
            return OrderedMap.of("type", "integer");
        }
        if (plain == Double.class || plain == double.class) {
            return OrderedMap.of("type", "number");
        }
        if (plain == Instant.class) {
            return OrderedMap.of("type", "string", "format", "date-time");
        }
        if (Map.class.isAssignableFrom(plain) || JsonNode.class.isAssignableFrom(plain)) {
            return OrderedMap.of("type", "object");
        }
        if (plain.isRecord()) {
            return definitions == null ? object(plain, null) : definitions.refer(plain);
        }
        List<String> values = names(plain);
        if (values != null) {
            return OrderedMap.of("type", "string", "enum", values);
        }
        throw new IllegalStateException("no JSON schema for " + type);
    }

    /** An answer record: an object of its components, those always written required. */
    private static Map<String, Object> object(Class<?> record, Definitions definitions) {
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        addComponents(record, definitions, properties, required);
        Map<String, Object> schema = OrderedMap.of("type", "object", "properties", properties);
        if (!required.isEmpty()) {
            schema.put("required", required);
        }
        return schema;
    }

    private static void addComponents(Class<?> record, Definitions definitions, Map<String, Object> properties, List<String> required) {
        for (RecordComponent component : record.getRecordComponents()) {
            Method accessor = component.getAccessor(); // Jackson's annotations do not target record components: they land here
            if (accessor.isAnnotationPresent(JsonUnwrapped.class)) {
                addComponents(component.getType(), definitions, properties, required);
                continue;
            }
            Field field = component.getAnnotation(Field.class);
            Map<String, Object> property = field != null && field.valuesOf() != Void.class
                    ? OrderedMap.of("type", "string", "enum", valuesOf(field.valuesOf()))
                    : of(component.getGenericType(), definitions);
            if (field != null && field.nullable()) {
                property = nullable(property);
            }
            if (field != null && !field.value().isEmpty()) {
                property.put("description", field.value());
            }
            properties.put(component.getName(), property);
            JsonInclude include = accessor.getAnnotation(JsonInclude.class);
            if (include == null || include.value() == JsonInclude.Include.ALWAYS) {
                required.add(component.getName());
            }
        }
    }

    private static Map<String, Object> nullable(Map<String, Object> schema) {
        if (schema.get("type") instanceof String type && !schema.containsKey("enum")) {
            Map<String, Object> copy = new LinkedHashMap<>(schema);
            copy.put("type", List.of(type, "null"));
            return copy;
        }
        return OrderedMap.of("anyOf", List.of(schema, OrderedMap.of("type", "null")));
    }

    private static List<String> valuesOf(Class<?> type) {
        List<String> names = names(type);
        if (names != null) {
            return names;
        }
        if (type.isEnum()) {
            return Arrays.stream(type.getEnumConstants()).map(value -> ((Enum<?>) value).name().toLowerCase(Locale.ROOT)).toList();
        }
        throw new IllegalStateException(type + " lists no values");
    }

    /** The values a domain type accepts, when it lists them ({@code static List<String> names()}: Mode, MessageType). */
    @SuppressWarnings("unchecked")
    static List<String> names(Class<?> type) {
        try {
            Method names = type.getMethod("names");
            return Modifier.isStatic(names.getModifiers()) ? (List<String>) names.invoke(null) : null;
        } catch (NoSuchMethodException none) {
            return null;
        } catch (ReflectiveOperationException unusable) {
            throw new IllegalStateException(type + ".names() failed", unusable);
        }
    }
}
