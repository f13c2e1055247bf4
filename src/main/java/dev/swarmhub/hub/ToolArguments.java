package dev.swarmhub.hub;

import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.SwarmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MCP tool inputs: each tool's JSON schema, and a call's arguments checked against it with
 * errors that name the argument (the SDK's own validation is off, so that failures are the
 * API's error documents).
 */
final class ToolArguments {

    private ToolArguments() {
    }

    /** A tool's input schema: an object of named properties (text, lists of text, booleans, whole numbers), nothing else allowed. */
    static final class Schema {
        private final Map<String, Object> properties = new LinkedHashMap<>();
        private final List<String> required = new ArrayList<>();

        static Schema of() {
            return new Schema();
        }

        Schema string(String name, String description) {
            properties.put(name, OrderedMap.of("type", "string", "description", description));
            return this;
        }

        Schema bool(String name, String description) {
            properties.put(name, OrderedMap.of("type", "boolean", "description", description));
            return this;
        }

        Schema integer(String name, String description) {
            properties.put(name, OrderedMap.of("type", "integer", "description", description));
            return this;
        }

        Schema strings(String name, String description, boolean mandatory) {
            properties.put(name, OrderedMap.of("type", "array", "items", Map.of("type", "string"), "description", description));
            return mandatory ? required(name) : this;
        }

        Schema required(String name) {
            required.add(name);
            return this;
        }

        Map<String, Object> document() {
            Map<String, Object> document = OrderedMap.of("type", "object", "properties", properties, "additionalProperties", false);
            if (!required.isEmpty()) {
                document.put("required", required);
            }
            return document;
        }
    }

    /** A call's arguments, checked against the tool's schema: errors name the argument. */
    record Arguments(Map<String, Object> values, Schema schema) {
        Arguments {
            values = values == null ? Map.of() : values;
            for (String name : values.keySet()) {
                if (!schema.properties.containsKey(name)) {
                    throw SwarmException.badInput("unknown argument '" + name + "'; this tool takes " + schema.properties.keySet());
                }
            }
            for (String name : schema.required) {
                if (values.get(name) == null) {
                    throw SwarmException.badInput("missing argument '" + name + "'");
                }
            }
        }

        String string(String name) {
            Object value = values.get(name);
            if (value != null && !(value instanceof String)) {
                throw SwarmException.badInput("argument '" + name + "' must be a string");
            }
            return (String) value;
        }

        Boolean bool(String name) {
            Object value = values.get(name);
            if (value != null && !(value instanceof Boolean)) {
                throw SwarmException.badInput("argument '" + name + "' must be true or false");
            }
            return (Boolean) value;
        }

        Integer integer(String name) {
            Object value = values.get(name);
            if (value == null) {
                return null;
            }
            if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 1
                    || ((Number) value).longValue() > Integer.MAX_VALUE) {
                throw SwarmException.badInput("argument '" + name + "' must be a positive whole number");
            }
            return ((Number) value).intValue();
        }

        List<String> strings(String name) {
            Object value = values.get(name);
            if (value == null) {
                return null;
            }
            if (!(value instanceof List<?> list) || list.stream().anyMatch(item -> !(item instanceof String))) {
                throw SwarmException.badInput("argument '" + name + "' must be an array of strings");
            }
            if (list.isEmpty() || list.size() > 1000) {
                throw SwarmException.badInput("argument '" + name + "' must hold 1 to 1000 items");
            }
            return list.stream().map(String.class::cast).toList();
        }

        Duration duration(String name) {
            String text = string(name);
            return text == null ? null : Durations.parse(text);
        }
    }
}
