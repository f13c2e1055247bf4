package dev.swarmhub.faults;

import dev.swarmhub.hub.JsonViews;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One process's events of a fault run, one JSON line each (the format of /tmp/history-format.md:
 * time, process, type, f, op, value), written to history-PROCESS.jsonl and flushed per line, so
 * what a process recorded survives its kill. Times are System.nanoTime() minus the run's base:
 * CLOCK_MONOTONIC is shared by every process of the machine and never stepped by libfaketime
 * (FAKETIME_DONT_FAKE_MONOTONIC), so the processes' events merge in true order.
 */
final class FaultRecorder implements AutoCloseable {

    enum Type {
        INVOKE("invoke"), OK("ok"), FAIL("fail"), INFO("info");

        final String wire;

        Type(String wire) {
            this.wire = wire;
        }
    }

    private final String process;
    private final long base;
    private final Writer out;
    private long lastOp;

    FaultRecorder(Path directory, String process, long base) {
        this.process = process;
        this.base = base;
        try {
            this.out = Files.newBufferedWriter(file(directory, process), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where a process's own events go before the runner merges them. */
    static Path file(Path directory, String process) {
        return directory.resolve("history-" + process + ".jsonl");
    }

    /** Records the start of an operation; returns its op number, which its completion repeats. */
    synchronized long invoke(String f, Map<String, Object> value) {
        long op = ++lastOp;
        record(Type.INVOKE, f, op, value);
        return op;
    }

    synchronized void record(Type type, String f, long op, Map<String, Object> value) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", System.nanoTime() - base);
        line.put("process", process);
        line.put("type", type.wire);
        line.put("f", f);
        line.put("op", op);
        line.put("value", value);
        try {
            out.write(JsonViews.json(line));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record " + f + " of " + process, e);
        }
    }

    /** A new op number for a nemesis fault, whose start and end events share it. */
    synchronized long nextOp() {
        return ++lastOp;
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
