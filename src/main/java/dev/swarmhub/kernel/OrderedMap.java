package dev.swarmhub.kernel;

import java.util.LinkedHashMap;
import java.util.Map;

/** A mutable map that keeps insertion order, built from alternating keys and values (event details, JSON documents). */
public final class OrderedMap {

    private OrderedMap() {
    }

    public static Map<String, Object> of(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must come in pairs");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
