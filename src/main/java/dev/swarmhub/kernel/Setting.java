package dev.swarmhub.kernel;

import java.time.Duration;
import java.util.function.Function;

/**
 * A project-wide setting, defined by the domain that reads it: its name, default, how a value is
 * read (a bad one is refused with a message naming the setting) and written back in canonical
 * form, and what else it must agree with when the operator changes it.
 */
public record Setting<T>(String name, T defaultValue, Function<String, T> parse, Function<T, String> format, Rule<T> rule) {

    /** A check against the other settings, inside the write that changes this one. */
    @FunctionalInterface
    public interface Rule<T> {
        void check(Tx tx, T value);
    }

    public static Setting<Duration> duration(String name, Duration defaultValue) {
        return new Setting<>(name, defaultValue, Durations::parse, Durations::format, (tx, value) -> { });
    }

    /** On or off (also true/false, yes/no). */
    public static Setting<Boolean> flag(String name, boolean defaultValue) {
        return new Setting<>(name, defaultValue, text -> switch (text.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw SwarmException.badInput("bad " + name + " '" + text + "': use on or off");
        }, value -> value ? "on" : "off", (tx, value) -> { });
    }

    /** A whole number from 1 to {@code largest}, of {@code unit} (named in the error). */
    public static Setting<Integer> count(String name, int defaultValue, int largest, String unit) {
        return new Setting<>(name, defaultValue, text -> {
            String digits = text.strip();
            int count = Limits.digits(digits, Integer.toString(largest).length()) ? Integer.parseInt(digits) : 0;
            if (count >= 1 && count <= largest) {
                return count;
            }
            throw SwarmException.badInput("bad " + name + " '" + text + "': use a number of " + unit + " from 1 to " + largest);
        }, Object::toString, (tx, value) -> { });
    }

    public Setting<T> checkedBy(Rule<T> check) {
        return new Setting<>(name, defaultValue, parse, format, check);
    }

    /** The value in force in this transaction. */
    public T in(Tx tx) {
        return tx.setting(name).map(parse).orElse(defaultValue);
    }

    String canonical(String text) {
        return format.apply(parse.apply(text));
    }

    String defaultText() {
        return format.apply(defaultValue);
    }

    void check(Tx tx, String canonical) {
        rule.check(tx, parse.apply(canonical));
    }
}
