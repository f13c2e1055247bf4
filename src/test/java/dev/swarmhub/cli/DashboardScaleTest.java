package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.hub.Services;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.messages.MessageType;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HeadlessChromium;
import dev.swarmhub.testing.HubProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The dashboard over a big project (1,000 agents, 200 leases, 1,000 messages, 100,000 events):
 * every view renders, and the page's load, each view's render and a live update are measured and
 * written to target/dashboard/scale.txt (figures for docs/PERFORMANCE.md, never a verdict: the
 * machine's speed varies). Not in ./run-tests (tag "scale"): scripts/dashboard-scale runs it.
 */
@Tag("scale")
class DashboardScaleTest {

    private static final int AGENTS = 1_000;
    private static final int LEASES = 200;
    private static final int EVENTS = 100_000;
    private static final List<String> VIEWS = List.of("agents", "leases", "messages", "tasks", "processes", "plan", "log");

    @TempDir
    Path project;

    @Test
    void everyViewRendersOverABigProjectAndTheTimesAreRecorded() throws IOException {
        StringBuilder report = new StringBuilder();
        for (boolean big : new boolean[] {false, true}) { // side by side: a fresh project, then the big one
            Path project = Files.createDirectories(this.project.resolve(big ? "big" : "fresh"));
            Files.createDirectories(project.resolve(".git"));
            if (big) {
                fill(project);
            }
            report.append(big ? "dashboard over " + AGENTS + " agents, " + LEASES + " leases, " + AGENTS + " messages, " + EVENTS + "+ events\n"
                    : "dashboard over a fresh project\n");
            measure(project, big, report);
        }
        Files.createDirectories(Path.of("target", "dashboard"));
        Files.writeString(Path.of("target", "dashboard", "scale.txt"), report);
        System.out.print(report);
    }

    private static void measure(Path project, boolean big, StringBuilder report) throws IOException {
        try (HubProcess hub = HubProcess.start(project)) {
            CliRunner cli = new CliRunner(project);
            ChromeDriver browser = HeadlessChromium.start(Files.createTempDirectory(project, "chromium"));
            try {
                JavascriptExecutor page = browser;
                String url = cli.run("dashboard", "--no-open", "--json").json().get("url").asString();
                HeadlessChromium.logIn(browser, url);
                Await.until("the agents view", () -> browser.findElements(By.cssSelector("#view-agents tr[data-agent]")).size() == (big ? AGENTS : 0)
                        && browser.findElement(By.id("view-agents")).getAttribute("data-rendered") != null);
                Number load = (Number) page.executeScript("return Number(document.getElementById('view-agents').dataset.rendered) - performance.timeOrigin");
                report.append("page load to the agents view rendered: ").append(load.longValue()).append(" ms\n");
                for (String view : VIEWS) {
                    page.executeScript("window.shownAt = Date.now(); window.before = document.getElementById('view-" + view + "').dataset.rendered;"
                            + " document.querySelector('[role=tab][data-view=" + view + "]').click()");
                    Await.until(view + " rendered", () -> (Boolean) page.executeScript(
                            "const at = document.getElementById('view-" + view + "').dataset.rendered; return at !== undefined && at !== window.before"));
                    Number took = (Number) page.executeScript("return Number(document.getElementById('view-" + view + "').dataset.rendered) - window.shownAt");
                    report.append("view ").append(view).append(": ").append(took.longValue()).append(" ms\n");
                    assertThat(browser.findElements(By.cssSelector("#view-" + view + " .error"))).as(view).isEmpty();
                }
                if (big) {
                    int shown = browser.findElements(By.cssSelector("#log-rows tr")).size();
                    page.executeScript("window.shownAt = Date.now(); document.getElementById('log-older').click()");
                    Await.until("a page of older events", () -> browser.findElements(By.cssSelector("#log-rows tr")).size() == shown + 200);
                    report.append("log: ").append(shown).append(" rows, 200 older added in ")
                            .append(((Number) page.executeScript("return Date.now() - window.shownAt")).longValue()).append(" ms (measured after they showed)\n");
                }
                page.executeScript("document.querySelector('[role=tab][data-view=leases]').click()");
                Map<String, String> agent = cli.register("scale-probe");
                List<Long> updates = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    String resource = "probe/" + i + ".txt";
                    assertThat(cli.run(agent, "lock", "acquire", resource).exitCode()).isZero();
                    long answered = System.nanoTime();
                    Await.until(resource + " on the page", () -> !browser.findElements(By.cssSelector("#view-leases tr[data-resource='" + resource + "']")).isEmpty());
                    updates.add((System.nanoTime() - answered) / 1_000_000);
                }
                report.append("live update (CLI acquire answered -> row on the page, leases view): ").append(updates).append(" ms\n");
            } finally {
                browser.quit();
            }
        }
    }

    /** The project's store filled directly, before its hub starts. */
    private static void fill(Path project) {
        try (Services services = Services.open(project)) {
            ResourceParser parser = new ResourceParser(project);
            List<Caller> callers = new ArrayList<>();
            for (int i = 0; i < AGENTS; i++) {
                String id = "agent-" + i;
                callers.add(Caller.ofAgent(id, services.agents.register(new Agents.Registration(id, "claude", null, null, "scale " + i)).token()));
            }
            for (int i = 0; i < LEASES; i++) {
                services.leases.acquire(new Leases.Request(callers.get(i), List.of(parser.parse("src/module-" + i + ".py")), Mode.EXCLUSIVE,
                        Duration.ofHours(1), "scale"));
            }
            for (int i = 0; i < AGENTS; i++) {
                services.messages.send(callers.get(i), List.of(callers.get((i + 1) % AGENTS).agentId()),
                        new Messages.Draft(MessageType.INFO, "status " + i + ": working on src/module-" + i + ".py", null, null, null));
            }
            for (int batch = 0; batch < EVENTS / 10_000; batch++) {
                int first = batch * 10_000;
                services.store.write(tx -> {
                    for (int i = first; i < first + 10_000; i++) {
                        tx.appendEvent("bench.step", "agent-" + i % AGENTS, "src/module-" + i % 500 + ".py", Map.of("step", i));
                    }
                    return null;
                });
            }
        }
    }
}
