package dev.swarmhub.hub;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Request;

/**
 * HTTP requests that wait (a blocking acquire, a waiting inbox, such MCP tool calls). Their
 * handling thread is interrupted, which ends the wait (dequeued, never granted) and makes it
 * answer, when the client leaves, when Jetty fails the request, or when the hub stops: then
 * {@link #answerAll} interrupts them all before the server closes their connections.
 */
final class WaitingRequests {

    /** The threads handling waiting requests; guarded by itself. */
    private final Set<Thread> waiting = new HashSet<>();

    /**
     * Call on the thread that will wait. An HTTP/1.1 server reads nothing while it handles a
     * request, so Jetty is asked to read on: a client's close then closes the connection, which
     * interrupts the wait. Reading on is only safe on a connection that ends with this answer,
     * so the answer carries Connection: close.
     */
    void watch(HttpServletRequest request, HttpServletResponse response) {
        Thread handler = Thread.currentThread();
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
        jetty.addFailureListener(failure -> handler.interrupt());
        response.setHeader("Connection", "close");
        Connection connection = jetty.getConnectionMetaData().getConnection();
        Connection.Listener closed = new Connection.Listener() {
            @Override
            public void onClosed(Connection gone) {
                handler.interrupt();
            }
        };
        connection.addEventListener(closed);
        synchronized (waiting) {
            waiting.add(handler);
        }
        Request.addCompletionListener(jetty, done -> {
            connection.removeEventListener(closed);
            synchronized (waiting) {
                waiting.remove(handler);
                waiting.notifyAll();
            }
        });
        if (connection instanceof AbstractConnection reader && !reader.isFillInterested()) {
            reader.fillInterested();
        }
    }

    /** Interrupts every waiting request and gives them up to {@code timeout} to send their answers. */
    void answerAll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (waiting) {
            waiting.forEach(Thread::interrupt);
            try {
                for (long left = timeout.toMillis(); !waiting.isEmpty() && left > 0; left = (deadline - System.nanoTime()) / 1_000_000) {
                    waiting.wait(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // stop waiting for them; the server closes what is left
            }
        }
    }
}
