package dev.swarmhub.hub;

import org.slf4j.LoggerFactory;

/**
 * A hub thread that repeats one step until interrupted (the hub stopping). A step that fails is
 * logged and tried again after a pause, so a passing fault (a busy store) does not end it and a
 * lasting one does not spin (nor fill the log: {@link RepeatedFailures}).
 */
final class BackgroundLoop {

    private static final long PAUSE_AFTER_FAILURE_MS = 1_000;

    @FunctionalInterface
    interface Step {
        /** One round; blocks (interruptibly) while there is nothing to do. */
        void run() throws InterruptedException;
    }

    private BackgroundLoop() {
    }

    static Thread start(String name, Step step) {
        RepeatedFailures failures = new RepeatedFailures(LoggerFactory.getLogger(BackgroundLoop.class));
        return Thread.ofPlatform().name(name).daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    step.run();
                    failures.succeeded(name);
                } catch (InterruptedException stopping) {
                    return;
                } catch (RuntimeException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        return; // the store closed under a stopping hub
                    }
                    failures.failed(name, e);
                    try {
                        Thread.sleep(PAUSE_AFTER_FAILURE_MS); // a back-off, not a synchronisation
                    } catch (InterruptedException stopping) {
                        return;
                    }
                }
            }
        });
    }

    /** Stops a loop: interrupts it and waits a while for its current step to end. */
    static void stop(Thread loop) {
        loop.interrupt();
        try {
            loop.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
