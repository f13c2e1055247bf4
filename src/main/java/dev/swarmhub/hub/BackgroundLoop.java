package dev.swarmhub.hub;

/**
 * A hub thread that repeats one step until interrupted (the hub stopping). A step that fails is
 * reported and tried again after a pause, so a passing fault (a busy store) does not end it and a
 * lasting one does not spin.
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
        return Thread.ofPlatform().name(name).daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    step.run();
                } catch (InterruptedException stopping) {
                    return;
                } catch (RuntimeException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        return; // the store closed under a stopping hub
                    }
                    System.err.println("swarm hub: " + name + " failed: " + e.getMessage());
                    try {
                        Thread.sleep(PAUSE_AFTER_FAILURE_MS); // a back-off, not a synchronisation
                    } catch (InterruptedException stopping) {
                        return;
                    }
                }
            }
        });
    }
}
