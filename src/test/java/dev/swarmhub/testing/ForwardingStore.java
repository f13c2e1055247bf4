package dev.swarmhub.testing;

import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Tx;
import java.util.function.Function;

/** A store that passes every call to another: a test overrides what it changes (fails, records, tells). */
public abstract class ForwardingStore implements Store {

    protected final Store store;

    protected ForwardingStore(Store store) {
        this.store = store;
    }

    @Override
    public <T> T write(Function<Tx, T> work) {
        return store.write(work);
    }

    @Override
    public <T> T read(Function<Tx, T> work) {
        return store.read(work);
    }

    @Override
    public boolean writing() {
        return store.writing();
    }

    @Override
    public long signalCount(Signal signal) {
        return store.signalCount(signal);
    }

    @Override
    public void awaitSignal(Signal signal, long seen, long timeoutMillis) throws InterruptedException {
        store.awaitSignal(signal, seen, timeoutMillis);
    }

    @Override
    public boolean signalsCrossProcesses() {
        return store.signalsCrossProcesses();
    }

    @Override
    public String location() {
        return store.location();
    }

    @Override
    public void close() {
        store.close();
    }
}
