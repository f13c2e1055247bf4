package dev.swarmhub.kernel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Project-wide settings kept in the store, so every process and hub applies the same values. Each
 * domain defines its own {@link Setting}s; this holds the ones known to the process.
 */
public final class Settings {

    private final Store store;
    private final Gate gate;
    private final Map<String, Setting<?>> known = new TreeMap<>();

    public Settings(Store store, Gate gate, List<Setting<?>> known) {
        this.store = store;
        this.gate = gate;
        known.forEach(setting -> this.known.put(setting.name(), setting));
    }

    /** Every known setting with its current value, by name. */
    public Map<String, String> all() {
        return store.read(tx -> {
            Map<String, String> values = new LinkedHashMap<>();
            known.values().forEach(setting -> values.put(setting.name(), tx.setting(setting.name()).orElse(setting.defaultText())));
            return values;
        });
    }

    /** The value in force now. */
    public <T> T value(Setting<T> setting) {
        return store.read(setting::in);
    }

    /** Operator action: changes a setting, recorded in the log. */
    public void set(Caller operator, String name, String value) {
        operator.requireOperator("change settings");
        Setting<?> setting = known.get(name);
        if (setting == null) {
            throw SwarmException.badInput("unknown setting '" + name + "': known are " + String.join(", ", known.keySet()));
        }
        String canonical = setting.canonical(value);
        store.write(tx -> {
            gate.admit(tx, operator);
            setting.check(tx, canonical);
            tx.putSetting(name, canonical);
            tx.appendEvent("setting.changed", null, null, OrderedMap.of("name", name, "value", canonical));
            return null;
        });
    }
}
