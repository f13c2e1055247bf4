package dev.swarmhub.core;

import java.util.LinkedHashMap;
import java.util.Map;

/** Project-wide settings kept in the store, so every process and hub applies the same values. */
public final class Settings {

    /** How many event streams (GET /api/v1/events) one token may hold open at once. */
    public static final String STREAMS_PER_TOKEN = "events.streams-per-token";
    static final int DEFAULT_STREAMS_PER_TOKEN = 64;
    private static final int LARGEST_STREAMS_PER_TOKEN = 10_000;

    /** Known settings and their defaults. */
    public static final Map<String, String> DEFAULTS = Map.of(
            Agents.STALE_AFTER, Durations.format(Agents.DEFAULT_STALE_AFTER),
            Agents.GONE_AFTER, Durations.format(Agents.DEFAULT_GONE_AFTER),
            Messages.RATE_LIMIT, Messages.DEFAULT_RATE_LIMIT.text(),
            Messages.MAX_TEXT_BYTES, Integer.toString(MessageText.DEFAULT_MAX_BYTES),
            STREAMS_PER_TOKEN, Integer.toString(DEFAULT_STREAMS_PER_TOKEN));

    private final Store store;
    private final Gate gate;

    public Settings(Store store, Gate gate) {
        this.store = store;
        this.gate = gate;
    }

    /** Every known setting with its current value. */
    public Map<String, String> all() {
        return store.read(tx -> {
            Map<String, String> values = new LinkedHashMap<>();
            DEFAULTS.keySet().stream().sorted().forEach(name -> values.put(name, tx.setting(name).orElse(DEFAULTS.get(name))));
            return values;
        });
    }

    /** The current {@link #STREAMS_PER_TOKEN}. */
    public int streamsPerToken() {
        return store.read(tx -> tx.setting(STREAMS_PER_TOKEN).map(Settings::streamsPerToken).orElse(DEFAULT_STREAMS_PER_TOKEN));
    }

    private static int streamsPerToken(String text) {
        try {
            int streams = Integer.parseInt(text.strip());
            if (streams >= 1 && streams <= LARGEST_STREAMS_PER_TOKEN) {
                return streams;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw SwarmException.badInput("bad " + STREAMS_PER_TOKEN + " '" + text + "': use a number of streams from 1 to "
                + LARGEST_STREAMS_PER_TOKEN);
    }

    /** Operator action: changes a setting, recorded in the log. */
    public void set(Caller operator, String name, String value) {
        if (!DEFAULTS.containsKey(name)) {
            throw SwarmException.badInput("unknown setting '" + name + "': known are " + String.join(", ", DEFAULTS.keySet()));
        }
        String canonical = switch (name) {
            case Messages.RATE_LIMIT -> Messages.RateLimit.parse(value).text();
            case Messages.MAX_TEXT_BYTES -> Integer.toString(Messages.maxTextBytes(value));
            case STREAMS_PER_TOKEN -> Integer.toString(streamsPerToken(value));
            default -> Durations.format(Durations.parse(value));
        };
        if (!operator.operator()) {
            throw SwarmException.unauthenticated("only the operator may change settings (token in .swarm/operator.token)");
        }
        store.write(tx -> {
            gate.admit(tx, operator);
            if (name.equals(Agents.STALE_AFTER) || name.equals(Agents.GONE_AFTER)) {
                long stale = name.equals(Agents.STALE_AFTER) ? Durations.parse(canonical).toMillis()
                        : Agents.threshold(tx, Agents.STALE_AFTER, Agents.DEFAULT_STALE_AFTER);
                long gone = name.equals(Agents.GONE_AFTER) ? Durations.parse(canonical).toMillis()
                        : Agents.threshold(tx, Agents.GONE_AFTER, Agents.DEFAULT_GONE_AFTER);
                if (stale < Agents.MIN_STALE_AFTER.toMillis() || gone <= stale) {
                    throw SwarmException.badInput("need " + Durations.format(Agents.MIN_STALE_AFTER) + " <= " + Agents.STALE_AFTER
                            + " < " + Agents.GONE_AFTER);
                }
            }
            tx.putSetting(name, canonical);
            tx.appendEvent("setting.changed", null, null, OrderedMap.of("name", name, "value", canonical));
            return null;
        });
    }
}
