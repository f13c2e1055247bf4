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

        private Watch(Thread handler, EndPoint endPoint) {
            this.handler = handler;
            this.endPoint = endPoint;
        }

        private void start() {
            endPoint.tryFillInterested(this); // false: Jetty reads this connection itself (it then sees the close)
        }

        /** Readable: the client closed its side (or sent what a waiting client never sends). */
        @Override
        public void succeeded() {
            clientGone();
        }

        /** The end point failed or closed. */
        @Override
        public void failed(Throwable cause) {
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

        /** Ends the watch: withdraws its read interest (Jetty expects none pending when the answer completes). */
        @Override
        public void close() {
            synchronized (this) {
                open = false;
            }
            if (endPoint instanceof AbstractEndPoint ownEndPoint) {
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
