package dev.swarmhub.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a fault run's directory and writes summary.txt, summary.json and timeline.html into it.
 * Usage: {@code CheckHistory RUN_DIRECTORY [--budget STATES]}. Exit code 0 valid, 1 invalid,
 * 2 unknown (the linearizability search passed its budget, or no final read) or bad input.
 */
public final class CheckHistory {

    private CheckHistory() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length != 1 && !(args.length == 3 && args[1].equals("--budget"))) {
            System.err.println("usage: CheckHistory RUN_DIRECTORY [--budget STATES]");
            return 2;
        }
        try {
            long budget = args.length == 3 ? budget(args[2]) : HistoryChecker.DEFAULT_BUDGET;
            Path directory = Path.of(args[0]);
            History history = HistoryReader.read(directory);
            CheckResult result = HistoryChecker.check(history, budget);
            String summary = Summary.text(history, result);
            Files.writeString(directory.resolve("summary.txt"), summary, StandardCharsets.UTF_8);
            Files.writeString(directory.resolve("summary.json"), HistoryReader.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(Summary.json(history, result)) + "\n", StandardCharsets.UTF_8);
            Files.writeString(directory.resolve("timeline.html"), Timeline.html(history, result), StandardCharsets.UTF_8);
            System.out.print(summary);
            return result.verdict().exitCode;
        } catch (IllegalArgumentException | IOException | UncheckedIOException e) {
            System.err.println("CheckHistory: " + e.getMessage());
            return 2;
        }
    }

    private static long budget(String text) {
        try {
            long budget = Long.parseLong(text);
            if (budget > 0) {
                return budget;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("--budget must be a positive number of states, not \"" + text + "\"");
    }
}
