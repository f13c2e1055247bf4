package dev.swarmhub.hub;

import dev.swarmhub.kernel.Setting;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, for every HTTP request (API and MCP): a refusal (status 400 and above) with its status,
 * method, path and the error's code and message, at INFO (WARN for 5xx); a request slower than
 * {@link #SLOW_REQUEST} at WARN with its duration; a failure that escaped the servlets, with its
 * stack trace. Never a header (the token), a query string or a body (message texts). A request
 * that waits because it asked to (an acquire or inbox with a wait, an MCP call with one) is not
 * slow, and an event stream is not a request that ends.
 */
final class RequestLog implements Filter {

    /** A request (HTTP, MCP, or a command through the hub) slower than this is logged at WARN. */
    static final Setting<Duration> SLOW_REQUEST = Setting.duration("hub.slow-request", Duration.ofSeconds(1));

    private static final Logger LOG = LoggerFactory.getLogger(RequestLog.class);
    private static final String REFUSAL = RequestLog.class.getName() + ".refusal";
    private static final String WAITED = RequestLog.class.getName() + ".waited";
    private static final int LONGEST_PATH = 200;
    private static final int LONGEST_MESSAGE = 300;

    private final Supplier<Duration> slowAfter;

    RequestLog(Supplier<Duration> slowAfter) {
        this.slowAfter = slowAfter;
    }

    /** The request was refused with this error (its code and message go into the log line). */
    static void refused(HttpServletRequest request, JsonViews.ErrorDetailView error) {
        request.setAttribute(REFUSAL, error.code() + ": " + cut(error.message(), LONGEST_MESSAGE));
    }

    /** The request waits because it asked to: its duration says nothing about the hub. */
    static void waits(HttpServletRequest request) {
        request.setAttribute(WAITED, Boolean.TRUE);
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        long started = System.nanoTime();
        String method = request.getMethod();
        String path = cut(request.getRequestURI(), LONGEST_PATH);
        try {
            chain.doFilter(request, response);
        } catch (IOException clientGone) {
            LOG.info("{} {}: the answer was not sent ({})", method, path, clientGone.toString());
            throw clientGone;
        } catch (ServletException | RuntimeException | Error failure) {
            LOG.error("{} {} failed", method, path, failure);
            throw failure;
        }
        if (!request.isAsyncStarted()) {
            ended(request, response, method, path, started);
        } else if (!method.equals("GET")) { // a GET that goes on is an event stream; an MCP call answers in a stream of its own
            // added during the dispatch that started it: the request cannot complete before the dispatch returns
            request.getAsyncContext().addListener(new AsyncListener() {
                @Override
                public void onComplete(AsyncEvent event) {
                    ended(request, response, method, path, started);
                }

                @Override
                public void onTimeout(AsyncEvent event) {
                }

                @Override
                public void onError(AsyncEvent event) {
                }

                @Override
                public void onStartAsync(AsyncEvent event) {
                }
            });
        }
    }

    private void ended(HttpServletRequest request, HttpServletResponse response, String method, String path, long started) {
        long millis = (System.nanoTime() - started) / 1_000_000;
        int status = response.getStatus();
        if (status >= 400) {
            Object refusal = request.getAttribute(REFUSAL);
            String line = "refused {} {} {}: {} ({} ms)";
            Object[] values = {status, method, path, refusal == null ? "-" : refusal, millis};
            if (status >= 500) {
                LOG.warn(line, values);
            } else {
                LOG.info(line, values);
            }
        }
        if (request.getAttribute(WAITED) == null && millis >= slowAfter.get().toMillis()) {
            LOG.warn("slow request: {} {} took {} ms (status {})", method, path, millis, status);
        }
    }

    /** One line of at most {@code longest} characters. */
    static String cut(String text, int longest) {
        String line = String.valueOf(text).replace('\n', ' ').replace('\r', ' ');
        return line.length() <= longest ? line : line.substring(0, longest) + "...";
    }
}
