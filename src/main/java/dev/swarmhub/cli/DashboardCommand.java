package dev.swarmhub.cli;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.logins.Logins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm dashboard}: a one-time login link to the hub's dashboard (starting the hub when
 * none runs), opened in the desktop's browser when there is one. It runs in the client: the
 * browser is the user's, not the hub's. The link's code is in the URL's fragment, which browsers
 * never send: the page posts it once and gets a session token for its tab (no cookie: see RequestGuard).
 */
@ClientSide.RunsInClient
@Command(name = "dashboard", description = {"Open the live dashboard: prints a one-time login URL (valid once, for dashboard.link-ttl, 2m by default)",
        "and opens it in the desktop's browser when there is one. The operator's: run it yourself, not as an agent."})
final class DashboardCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Option(names = "--no-open", description = "Print the URL only; start no browser.")
    boolean noOpen;

    @Option(names = "--end-sessions", description = "Log every browser out of the dashboard instead (a lost laptop, a shared screen); prints no link.")
    boolean endSessions;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Caller operator = operator();
        if (endSessions) {
            try (CommandServices services = swarm.services()) {
                int ended = services.logins.endAllSessions(operator, "ended by the operator");
                return swarm.output.result(OrderedMap.of("ended", ended), ended + " dashboard session" + (ended == 1 ? "" : "s") + " ended\n");
            }
        }
        Path root = swarm.projectRoot();
        if (HubCommands.servingPid(root).isEmpty()) {
            HubCommands.startInBackground(root);
        }
        Object page = Hub.readInfo(root).get("dashboard");
        if (page == null) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "the hub of " + root + " did not say its dashboard's address (.swarm/hub.json)");
        }
        Logins.Secret link;
        try (CommandServices services = swarm.services()) {
            link = services.logins.newLink(operator);
        }
        String url = page + "#login=" + link.value();
        boolean opened = !noOpen && !swarm.json && openBrowser(root, url);
        return swarm.output.result(OrderedMap.of("url", url, "expiresAt", Instant.ofEpochMilli(link.expiresAt()).toString(), "opened", opened),
                url + "\n" + (opened ? "opened in your browser; " : "") + "the link logs in once, until "
                        + Instant.ofEpochMilli(link.expiresAt()) + "\n");
    }

    /** The operator running this; an agent (named, or by a registered process above this one) gets no link. */
    private Caller operator() {
        if (swarm.tokenOrNull() != null) {
            return swarm.operatorCaller(); // says that the token is not the operator's
        }
        return swarm.localOperator().orElseThrow(() -> SwarmException.denied("the dashboard is the operator's, and this runs as agent '"
                + (swarm.agentOrNull() != null && !swarm.agentOrNull().isBlank() ? swarm.agentOrNull() : swarm.ownAgent().map(Agent::id).orElse("?"))
                + "' (SWARM_AGENT, or a registered process above this one): run it in your own shell, or give the operator's token with --token"));
    }

    /**
     * Starts the desktop's URL opener, when there is a desktop and an opener; whether it started. It
     * gets a page in .swarm/ (0700) that forwards to the link, never the link itself: a command line
     * is readable by every local user, in /proc.
     */
    private boolean openBrowser(Path root, String url) {
        boolean desktop = swarm.environment("DISPLAY") != null || swarm.environment("WAYLAND_DISPLAY") != null;
        Path opener = Path.of("/usr/bin/xdg-open");
        if (!desktop || !Files.isExecutable(opener)) {
            return false;
        }
        try {
            Path draft = Files.createTempFile(root.resolve(".swarm"), "dashboard-login", ".html"); // 0600
            Files.writeString(draft, "<!doctype html><meta http-equiv=\"refresh\" content=\"0;url=" + url + "\"><title>Swarmhub</title>\n");
            Path page = Files.move(draft, root.resolve(".swarm").resolve("dashboard-login.html"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            new ProcessBuilder(opener.toString(), page.toUri().toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            return true;
        } catch (IOException notStarted) {
            return false;
        }
    }
}
