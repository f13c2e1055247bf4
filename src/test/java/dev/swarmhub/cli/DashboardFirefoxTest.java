package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HeadlessFirefox;
import dev.swarmhub.testing.HubProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in Firefox (Debian's ESR, headless, over Marionette): the one-time login, every view
 * drawn without an error, and a lease taken by the CLI shown live. Chromium covers the rest
 * (DashboardBrowserTest); this proves the page does not depend on one engine.
 */
class DashboardFirefoxTest {

    private static final List<String> VIEWS = List.of("agents", "leases", "messages", "tasks", "processes", "plan", "log");

    @TempDir
    Path project;

    @Test
    void logsInDrawsEveryViewAndFollowsTheStream() throws IOException {
        Files.createDirectories(project.resolve(".git"));
        Path shots = Files.createDirectories(Path.of("target", "dashboard"));
        try (HubProcess hub = HubProcess.start(project); HeadlessFirefox firefox = HeadlessFirefox.start(project.resolve("firefox-profile"))) {
            CliRunner cli = new CliRunner(project);
            Map<String, String> alice = cli.register("alice");
            String url = cli.run("dashboard", "--no-open", "--json").json().get("url").asString();
            firefox.navigate(url);
            Await.until("the page live in Firefox", () -> "live".equals(firefox.script("return document.getElementById('live').dataset.state").asString()));
            assertThat(firefox.script("return location.href").asString()).doesNotContain("login=");
            assertThat(firefox.script("return document.cookie").asString()).as("no cookie").isEmpty();
            assertThat(firefox.script("return sessionStorage.getItem('swarm-session') || ''").asString()).as("the tab's session").isNotEmpty();

            for (String view : VIEWS) {
                String before = firefox.script("return document.getElementById('view-" + view + "').dataset.rendered || ''").asString();
                firefox.script("document.querySelector('[role=tab][data-view=" + view + "]').click()");
                Await.until(view + " drawn", () -> !firefox.script("return document.getElementById('view-" + view + "').dataset.rendered || ''")
                        .asString().equals(before));
                assertThat(firefox.script("return document.querySelectorAll('#view-" + view + " .error').length").asInt()).as(view).isZero();
                Files.write(shots.resolve("firefox-" + view + ".png"), firefox.screenshot());
            }

            firefox.script("document.querySelector('[role=tab][data-view=leases]').click()");
            assertThat(cli.run(alice, "lock", "acquire", "src/firefox.py", "--ttl", "10m").exitCode()).isZero();
            Await.until("the lease shown live", () -> firefox.script(
                    "return document.querySelectorAll(\"#view-leases tr[data-resource='src/firefox.py'][data-agent=alice]\").length").asInt() == 1);
        }
    }
}
