package dev.swarmhub.hub;

import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Tokens;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.Executors;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.LoggerFactory;

/** The hub's one HTTP server (Jetty): the API, MCP and the dashboard. */
final class HttpServer implements AutoCloseable {

    private static final long IDLE_TIMEOUT_MS = 30_000;
    private static final long ANSWER_ON_STOP_MS = 3_000;
    /** How long a stop waits for open exchanges to end by themselves before it cuts them. */
    static final long GRACEFUL_STOP_MS = 5_000;

    private final Server server;
    private final Api api;
    private final Services services;
    private final RequestGuard guard;
    /** Built on the first MCP request ({@link #mcp}): its SDK, Reactor and JSON-schema validator are some 650 classes a hub no MCP client uses does without. */
    private McpService mcp;
    private boolean closed;
    private final WaitingRequests waits = new WaitingRequests();
    private final ServerConnector connector;
    private final int port;

    HttpServer(Services services, String bind, int requestedPort) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("swarm-http");
        threads.setMinThreads(2); // the selector and acceptor; requests run on virtual threads
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor()); // blocking waits cost no platform thread
        server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setRequestHeaderSize(16 * 1024);
        connector = new ServerConnector(server, new HttpConnectionFactory(config));
        connector.setHost(bind);
        connector.setPort(requestedPort);
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        server.addConnector(connector);
        ServedHosts servedHosts = new ServedHosts(bind);
        this.services = services;
        this.guard = new RequestGuard(Tokens.hash(OperatorToken.readOrCreate(services.root)), services.agents, services.logins, servedHosts);
        api = new Api(services, guard, waits);
        ServletContextHandler context = new ServletContextHandler();
        FilterHolder requestLog = new FilterHolder(new RequestLog(services::slowRequestThreshold));
        requestLog.setAsyncSupported(true); // the API's event streams and MCP's answers are asynchronous
        context.addFilter(requestLog, "/*", EnumSet.of(DispatcherType.REQUEST)); // first: it sees every request and how it ended
        ServletHolder apiServlet = new ServletHolder("api", api);
        apiServlet.setAsyncSupported(true); // event streams are written without a thread each
        context.addServlet(apiServlet, "/api/v1/*");
        FilterHolder mcpGuard = new FilterHolder((Filter) (request, response, chain) -> mcp().guard().doFilter(request, response, chain));
        mcpGuard.setAsyncSupported(true);
        context.addFilter(mcpGuard, McpService.PATH, EnumSet.of(DispatcherType.REQUEST));
        ServletHolder mcpServlet = new ServletHolder("mcp", new HttpServlet() {
            @Override
            public void service(ServletRequest request, ServletResponse response) throws ServletException, IOException {
                mcp().servlet().service(request, response);
            }
        });
        mcpServlet.setAsyncSupported(true); // the transport answers with event streams
        context.addServlet(mcpServlet, McpService.PATH);
        context.addServlet(new ServletHolder("dashboard", new Dashboard(guard, services.logins)), "/");
        server.setHandler(context);
        server.setErrorHandler(new JsonErrors());
        server.setStopTimeout(GRACEFUL_STOP_MS);
        try {
            server.start();
        } catch (Exception e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot start the HTTP server on " + bind + ":" + requestedPort
                    + ": " + e.getMessage(), e);
        }
        port = connector.getLocalPort();
        servedHosts.servingOn(port);
    }

    int port() {
        return port;
    }

    private synchronized McpService mcp() {
        if (closed) {
            throw new IllegalStateException("the hub is stopping"); // no SDK started for a request that came in as it stopped
        }
        if (mcp == null) {
            mcp = new McpService(services, guard, waits);
        }
        return mcp;
    }

    /** Connections open now: event streams, MCP sessions, and keep-alive connections (closed after 30 s idle). */
    int openConnections() {
        return connector.getConnectedEndPoints().size();
    }

    /**
     * Stops taking connections, tells waiting requests (their waits end and they answer, for up
     * to {@value #ANSWER_ON_STOP_MS} ms), ends event streams, then stops the server.
     */
    @Override
    public void close() {
        connector.setAccepting(false);
        waits.answerAll(Duration.ofMillis(ANSWER_ON_STOP_MS));
        api.stopStreams();
        synchronized (this) {
            closed = true;
            if (mcp != null) {
                mcp.close();
            }
        }
        try {
            server.stop();
        } catch (Exception e) {
            LoggerFactory.getLogger(HttpServer.class).warn("the HTTP server stopped uncleanly", e);
        }
    }
}
