package dev.swarmhub.hub;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;

/**
 * HTTP requests that wait (a blocking acquire, a waiting inbox, such MCP tool calls). Their
 * handling thread is interrupted, which ends the wait (dequeued, never granted) and makes it
 * answer, when the client leaves, when Jetty fails the request, or when the hub stops: then
 * {@link #answerAll} interrupts them all before the server closes their connections.
 *
 * <p>Jetty's supported signal for a request's failure is {@link org.eclipse.jetty.server.Request#addFailureListener}
 * (idle timeout, a failed write, the server stopping), but an HTTP/1.1 connection is not read
 * while its request is handled, so a client that closes its socket is not noticed by it. A
 * watch therefore also registers its own read-readiness callback on the connection's end point
 * (it reads nothing: a client of a waiting request sends nothing more, so readiness means it
 * closed). It never calls the connection's own fill and parse, which ran concurrently with
 * Jetty's handling of the same connection and released its request buffer twice ("already
 * released": the answer was lost). The watch is closed, its read interest withdrawn, before the
 * answer is written, so Jetty finds the connection as it left it.
 */
final class WaitingRequests {

    /** The watches of requests not yet answered; guarded by itself. */
    private final Set<Watch> watches = new HashSet<>();

    /**
     * Call on the thread that will wait, and close the watch when the wait is over, before
     * answering. The answer carries Connection: close: the connection was watched for reading.
     */
    Watch watch(HttpServletRequest request, HttpServletResponse response) {
        RequestLog.waits(request); // not a slow request: it asked to wait
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
        response.setHeader("Connection", "close");
        Watch watch = new Watch(Thread.currentThread(), jetty.getConnectionMetaData().getConnection().getEndPoint());
        jetty.addFailureListener(failure -> watch.clientGone());
        synchronized (watches) {
            watches.add(watch);
        }
        Request.addCompletionListener(jetty, done -> {
            synchronized (watches) {
                watches.remove(watch);
                watches.notifyAll();
            }
        });
        watch.start();
        return watch;
    }

    /** One waiting request: interrupts its thread when its client leaves, until closed. */
    final class Watch implements AutoCloseable, Callback {
        private final Thread handler;
        private final EndPoint endPoint;
        /** Guarded by this: once closed, nothing interrupts the handler any more (it may be writing its answer). */
        private boolean open = true;
        /**
         * Guarded by this: the end point's read interest is this watch's own and has not fired.
         * Only then may close() withdraw it; any other interest there is Jetty's (its connection's
         * read callback), and failing that one would fail the connection and lose the answer.
         */
        private boolean ownInterestPending;
        /** Guarded by this: this watch's read interest fired (it may fire while start() registers it). */
        private boolean interestFired;

        Watch(Thread handler, EndPoint endPoint) {
            this.handler = handler;
            this.endPoint = endPoint;
        }

        synchronized void start() {
            // false: Jetty already reads this connection itself; it sees the close and fails the request (the failure listener)
            boolean registered = endPoint.tryFillInterested(this);
            ownInterestPending = registered && !interestFired;
        }

        /** Readable: the client closed its side (or sent what a waiting client never sends). */
        @Override
        public void succeeded() {
            interestFired();
        }

        /** The end point failed or closed. */
        @Override
        public void failed(Throwable cause) {
            interestFired();
        }

        private synchronized void interestFired() {
            interestFired = true;
            ownInterestPending = false;
            clientGone();
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING; // it only interrupts: fine on the selector thread
        }

        synchronized void clientGone() {
            if (open) {
                handler.interrupt();
            }
        }

        /**
         * Ends the watch: withdraws its own read interest if it is still pending (Jetty expects
         * none pending when the answer completes), and never one that is Jetty's. Held under this
         * watch's monitor, the interest cannot turn into Jetty's meanwhile: only a fired interest
         * leaves the end point free, and Jetty registers its own only from this handler thread or
         * after the answer.
         */
        @Override
        public synchronized void close() {
            open = false;
            if (ownInterestPending && endPoint instanceof AbstractEndPoint ownEndPoint) {
                ownInterestPending = false;
                ownEndPoint.getFillInterest().onFail(new WatchEnded()); // calls failed(): closed already, so nothing happens
            }
            Thread.interrupted(); // an interrupt that came as the wait ended must not fail the answer's write
        }
    }

    /** Why a watch's read interest was withdrawn; never seen outside. */
    private static final class WatchEnded extends Exception {
        WatchEnded() {
            super("the waiting request's watch ended", null, false, false);
        }
    }

    /** Interrupts every waiting request and gives them up to {@code timeout} to send their answers (until each completes). */
    void answerAll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (watches) {
            watches.forEach(Watch::clientGone);
            try {
                for (long left = timeout.toMillis(); !watches.isEmpty() && left > 0; left = (deadline - System.nanoTime()) / 1_000_000) {
                    watches.wait(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // stop waiting for them; the server closes what is left
            }
        }
    }
}
