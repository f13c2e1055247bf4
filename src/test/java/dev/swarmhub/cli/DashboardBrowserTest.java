package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.testing.Await;
import dev.swarmhub.testing.HeadlessChromium;
import dev.swarmhub.testing.HubProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.json.JsonMapper;

/**
 * The dashboard in a real headless Chromium (Debian's chromium and chromium-driver), against a real
 * hub process, with the CLI acting beside it: login through the one-time URL, live updates from the
 * event stream without a reload, an operator action, and refusals of requests without the cookie
 * or from another origin. Screenshots of every view go to target/dashboard/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {

    private static final Path SHOTS = Path.of("target", "dashboard");
    private static final List<String> VIEWS = List.of("agents", "leases", "messages", "tasks", "processes", "plan", "log");

    @TempDir
    static Path project;

    private HubProcess hub;
    private CliRunner cli;
    private ChromeDriver browser;
    private Map<String, String> alice;
    private Map<String, String> bob;
    private final HttpClient http = HttpClient.newHttpClient();
    /** How long each live update took from the CLI's answer to the row on the page (reported, not judged: the machine's speed varies). */
    private final List<Long> liveMillis = new ArrayList<>();

    @BeforeAll
    void startHubAndBrowser() throws IOException {
        hub = HubProcess.start(project);
        cli = new CliRunner(project);
        alice = cli.register("alice");
        bob = cli.register("bob");
        browser = HeadlessChromium.start(Files.createTempDirectory(project, "chromium"));
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (hub != null) {
            hub.close();
        }
        Files.writeString(SHOTS.resolve("live-update-ms.txt"), liveMillis + "\n");
    }

    private CliRunner.Result ok(Map<String, String> environment, String... args) {
        CliRunner.Result result = cli.run(environment, args);
        assertThat(result.exitCode()).as(String.join(" ", args) + ": " + result.err()).isZero();
        return result;
    }

    private String hubAddress() {
        return "http://127.0.0.1:" + Hub.readInfo(project).get("port");
    }

    /** The page's login session, as its script keeps it. */
    private String session() {
        return (String) ((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('swarm-session')");
    }

    /** Shows the view and waits until it was rendered after that (showing one always renders it). */
    private void show(String view) {
        String before = browser.findElement(By.id("view-" + view)).getAttribute("data-rendered");
        browser.findElement(By.cssSelector("[role=tab][data-view=" + view + "]")).click();
        Await.until(view + " rendered", () -> {
            String rendered = browser.findElement(By.id("view-" + view)).getAttribute("data-rendered");
            return rendered != null && !rendered.equals(before);
        });
    }

    private boolean present(String css) {
        return !browser.findElements(By.cssSelector(css)).isEmpty();
    }

    @Test
    @Order(1)
    void theOneTimeUrlLogsInOnceAndLeavesNoSecretInTheAddressOrThePage() {
        String url = ok(Map.of(), "dashboard", "--no-open", "--json").json().get("url").asString();
        String code = url.substring(url.indexOf("#login=") + 7);
        HeadlessChromium.logIn(browser, url);
        assertThat(browser.getCurrentUrl()).doesNotContain(code).doesNotContain("login=");
        String session = session();
        assertThat(session).as("the page's session").isNotNull();
        assertThat(browser.manage().getCookies()).as("no cookie: every port of the host would get it").isEmpty();
        assertThat(browser.getPageSource()).doesNotContain(session).doesNotContain(code).doesNotContain(cli.operatorToken());

        String again = login(code);
        assertThat(again).as("a used link logs in no more").startsWith("401");
        Await.until("the refused login in the hub's log", () -> hubLog().contains("refused 401 POST /login"));
        assertThat(hubLog()).as("the hub's log").doesNotContain(code).doesNotContain(session);
        assertThat(ok(Map.of(), "log", "--limit", "1000", "--json").out()).as("the event log").contains("dashboard.login")
                .doesNotContain(code).doesNotContain(session);
    }

    @Test
    @Order(2)
    void anAcquireByTheCliAppearsInTheLeasesViewWithoutAReload() {
        show("leases");
        ((JavascriptExecutor) browser).executeScript("window.sameDocument = 'kept'");
        for (int i = 0; i < 5; i++) {
            String resource = "src/live-" + i + ".py";
            ok(alice, "lock", "acquire", resource, "--ttl", "10m", "--reason", "live " + i);
            long answered = System.nanoTime();
            Await.until(resource + " on the page", () -> present("#view-leases tr[data-resource='" + resource + "'][data-agent=alice]"));
            liveMillis.add((System.nanoTime() - answered) / 1_000_000);
        }
        assertThat(((JavascriptExecutor) browser).executeScript("return window.sameDocument")).as("the page was not reloaded").isEqualTo("kept");
        String token = cli.run(alice, "lock", "who", "src/live-4.py", "--json").json().get("leases").get(0).get("token").asString();
        assertThat(text(By.cssSelector("#view-leases tr[data-resource='src/live-4.py']"))).contains("alice", "exclusive", token, "live 4");
    }

    @Test
    @Order(3)
    void aWaiterShowsInItsQueueAndAMessageByTheCliInMessages() throws Exception {
        ok(alice, "lock", "acquire", "src/queue.py", "--ttl", "10m");
        Thread waiter = Thread.ofVirtual().start(() -> cli.run(bob, "lock", "acquire", "src/queue.py", "--wait", "5m", "--ttl", "1m"));
        show("leases");
        Await.until("bob waiting on the page", () -> present("#view-leases tr[data-resource='src/queue.py'][data-agent=bob]"));

        String id = ok(alice, "send", "bob", "review-request", "please review src/queue.py", "--json").json().get("id").asString();
        show("messages");
        Await.until("the message on the page", () -> present("#view-messages article[data-message='" + id + "']"));
        assertThat(text(By.cssSelector("#view-messages article[data-message='" + id + "']")))
                .contains("alice", "bob", "please review src/queue.py");

        ok(alice, "lock", "release", "src/queue.py");
        waiter.join(Duration.ofSeconds(60));
        assertThat(cli.run("lock", "who", "src/queue.py", "--json").json().get("leases").get(0).get("agent").asString()).isEqualTo("bob");
    }

    @Test
    @Order(4)
    void theOperatorReleasesALeaseFromThePage() {
        ok(alice, "lock", "acquire", "src/stuck.py", "--ttl", "10m");
        show("leases");
        By release = By.cssSelector("#view-leases tr[data-resource='src/stuck.py'] button[data-action=release]");
        Await.until("the lease on the page", () -> present("#view-leases tr[data-resource='src/stuck.py']"));
        browser.findElement(release).click();
        Await.until("the confirmation", () -> browser.findElement(By.id("confirm")).isDisplayed());
        assertThat(text(By.id("confirm-text"))).contains("alice", "src/stuck.py");
        browser.findElement(By.id("confirm-ok")).click();
        Await.until("the lease released", () -> cli.run("lock", "who", "src/stuck.py", "--json").json().get("leases").isEmpty());
        Await.until("the row gone from the page", () -> !present("#view-leases tr[data-resource='src/stuck.py']"));
        String logged = ok(Map.of(), "log", "--kind", "lease.force-released", "--json").out();
        assertThat(logged).contains("src/stuck.py", "released from the dashboard");
    }

    @Test
    @Order(5)
    void noOtherPortOfTheHostGetsTheSessionAndNoOtherOriginActsWithIt() throws Exception {
        ok(alice, "lock", "acquire", "src/guarded.py", "--ttl", "10m");
        String hubAddress = hubAddress();
        String session = session();
        String release = "{\"agent\":\"alice\",\"resource\":\"src/guarded.py\"}";

        assertThat(send(HttpRequest.newBuilder(URI.create(hubAddress + "/api/v1/locks")).GET())).startsWith("401");
        assertThat(send(HttpRequest.newBuilder(URI.create(hubAddress + "/api/v1/locks")).header("Authorization", "Session not-a-session").GET()))
                .startsWith("401").contains("login ended or expired");
        assertThat(send(HttpRequest.newBuilder(URI.create(hubAddress + "/")).method("HEAD", HttpRequest.BodyPublishers.noBody())))
                .as("the page, asked for its headers only").isEqualTo("200 ");

        // a server on another port of this host (any local process may run one): the browser visits it, and its page
        // posts to the hub with whatever credentials the browser would add
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<String> seenHeaders = java.util.Collections.synchronizedList(new ArrayList<>());
        String page = "<!doctype html><title>other</title><script>fetch('" + hubAddress + "/api/v1/locks/release-agent', {method: 'POST', "
                + "mode: 'no-cors', credentials: 'include', headers: {'Content-Type': 'text/plain'}, body: '" + release + "'})"
                + ".finally(() => document.title = 'sent');</script>";
        other.createContext("/", exchange -> {
            exchange.getRequestHeaders().forEach((name, values) -> seenHeaders.add(name + ": " + values));
            byte[] body = page.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/html");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        other.start();
        try {
            String dashboard = browser.getWindowHandle();
            browser.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
            browser.get("http://127.0.0.1:" + other.getAddress().getPort() + "/");
            Await.until("the other page's request", () -> "sent".equals(browser.getTitle()));
            browser.close();
            browser.switchTo().window(dashboard);
        } finally {
            other.stop(0);
        }
        assertThat(seenHeaders).as("what the browser sent the other port").isNotEmpty().noneMatch(header -> header.contains(session))
                .noneMatch(header -> header.toLowerCase(java.util.Locale.ROOT).startsWith("cookie"));
        assertThat(cli.run("lock", "who", "src/guarded.py", "--json").json().get("leases").get(0).get("agent").asString())
                .as("the forged release changed nothing").isEqualTo("alice");
        Await.until("the hub's log of the refusal: the browser sent no credential for the other page",
                () -> hubLog().contains("refused 401 POST /api/v1/locks/release-agent"));

        assertThat(send(post(hubAddress, release).header("Authorization", "Session " + session)))
                .as("the same request with the page's session").startsWith("200");
    }

    private String processState(String agent) {
        try {
            String answer = send(HttpRequest.newBuilder(URI.create(hubAddress() + "/api/v1/processes/" + agent))
                    .header("Authorization", "Bearer " + cli.operatorToken()).GET());
            return JsonMapper.builder().build().readTree(answer.substring(4)).path("state").asString();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Clicks the element once it is there, again if a live update replaced it meanwhile. */
    private void click(By element) {
        onceThere("a click on " + element, element, found -> {
            found.click();
            return true;
        });
    }

    /** The element's text once it is there, read again if a live update replaced it meanwhile. */
    private String text(By element) {
        return onceThere("the text of " + element, element, WebElement::getText);
    }

    /** What {@code use} makes of the element once it is there, done again on the new one if a live update replaced it meanwhile. */
    private <T> T onceThere(String what, By element, Function<WebElement, T> use) {
        AtomicReference<T> result = new AtomicReference<>();
        Await.until(what, () -> {
            try {
                result.set(use.apply(browser.findElement(element)));
                return true;
            } catch (StaleElementReferenceException | NoSuchElementException replaced) {
                return false;
            }
        });
        return result.get();
    }

    /**
     * Clicks the action's button, checks the confirmation names what it does in the page's own
     * words and quotes apart what an agent wrote (or nothing), confirms.
     */
    private void confirmAction(By button, String agentWritten, String... named) {
        click(button);
        Await.until("the confirmation", () -> browser.findElement(By.id("confirm")).isDisplayed());
        assertThat(text(By.id("confirm-text"))).contains(named);
        if (agentWritten == null) {
            assertThat(browser.findElement(By.id("confirm-quoted")).isDisplayed()).as("no quote").isFalse();
        } else {
            assertThat(text(By.id("confirm-text"))).as("the agent's words are not the question's").doesNotContain(agentWritten);
            assertThat(text(By.id("confirm-quote"))).isEqualTo(agentWritten);
        }
        browser.findElement(By.id("confirm-ok")).click();
    }

    @Test
    @Order(6)
    void theOperatorSendsCancelsReassignsEditsThePlanAndStopsAProcessFromThePage() throws Exception {
        show("messages");
        browser.findElement(By.id("send-to")).sendKeys("bob");
        browser.findElement(By.id("send-text")).sendKeys("from the dashboard: please rebase");
        browser.findElement(By.id("send")).click();
        Await.until("the confirmation", () -> browser.findElement(By.id("confirm")).isDisplayed());
        browser.findElement(By.id("confirm-ok")).click();
        Await.until("bob's inbox (" + browser.findElements(By.cssSelector("#view-messages .outcome")).stream().map(WebElement::getText).toList()
                + cli.run(bob, "inbox", "--json") + ")", () -> cli.run(bob, "inbox", "--json").out().contains("from the dashboard: please rebase"));
        assertThat(cli.run(bob, "inbox", "--json").json().get("messages").findValuesAsString("from")).contains("operator");

        String cancelled = ok(alice, "task", "create", "Drop the old parser", "--json").json().get("id").asString();
        String reassigned = ok(alice, "task", "create", "Port the lexer", "--json").json().get("id").asString();
        ok(bob, "task", "claim", reassigned);
        show("tasks");
        confirmAction(By.cssSelector("#view-tasks li[data-task='" + cancelled + "'] button.danger"), "Drop the old parser", "Cancel task " + cancelled.substring(0, 8));
        Await.until("the task cancelled", () -> cli.run(alice, "task", "show", cancelled, "--json").json().get("status").asString().equals("cancelled"));
        confirmAction(By.xpath("//li[@data-task='" + reassigned + "']//button[text()='Reassign']"), "Port the lexer", "bob", reassigned.substring(0, 8));
        Await.until("the task ready again", () -> cli.run(alice, "task", "show", reassigned, "--json").json().get("status").asString().equals("open"));
        By assignTo = By.cssSelector("#view-tasks li[data-task='" + reassigned + "'] select.assign-to");
        By assign = By.xpath("//li[@data-task='" + reassigned + "']//button[text()='Assign']");
        Await.until("the ready task on the page", () -> !browser.findElements(assign).isEmpty());
        new Select(browser.findElement(assignTo)).selectByValue("alice"); // a focused field is not redrawn under the operator
        confirmAction(assign, "Port the lexer", "Give task "
                + reassigned.substring(0, 8) + " to alice");
        Await.until("the task alice's", () -> cli.run(alice, "task", "show", reassigned, "--json").json().path("assignee").asString().equals("alice"));
        assertThat(ok(alice, "task", "show", reassigned, "--json").json().get("status").asString()).isEqualTo("in-progress");

        ok(alice, "doc", "append", "Blocked", "- @alice waits for #" + reassigned.substring(0, 8));
        show("plan");
        WebElement blocked = browser.findElement(By.cssSelector("#view-plan section[data-section='Blocked']"));
        blocked.findElement(By.tagName("summary")).click();
        WebElement editor = blocked.findElement(By.tagName("textarea"));
        editor.clear();
        editor.sendKeys("- nothing blocks now");
        confirmAction(By.cssSelector("#view-plan section[data-section='Blocked'] details button"), "Blocked", "Save this section");
        Await.until("the section saved", () -> cli.run(alice, "doc", "show", "Blocked").out().strip().equals("- nothing blocks now"));
        ok(alice, "doc", "append", "Current Work", "- @bob ports #" + reassigned.substring(0, 8));
        click(By.cssSelector("#view-plan section[data-section='Current Work'] a.mention[href='#agents']"));
        Await.until("bob's row marked", () -> present("#view-agents tr.highlight[data-agent=bob]"));

        String answer = send(HttpRequest.newBuilder(URI.create(hubAddress() + "/api/v1/processes")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + cli.operatorToken())
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"worker\",\"command\":[\"sh\",\"-c\",\"echo started-work; exec sleep 600\"]}")));
        assertThat(answer).startsWith("201");
        String spawned = JsonMapper.builder().build().readTree(answer.substring(4)).path("process").path("agent").asString();
        show("processes");
        Await.until("the run on the page", () -> present("#view-processes tr[data-agent='" + spawned + "']"));
        browser.findElement(By.cssSelector("#view-processes tr[data-agent='" + spawned + "'] button[data-action=output]")).click();
        Await.until("its output on the page", () -> present("#process-output") && text(By.id("process-output")).contains("started-work"));
        confirmAction(By.cssSelector("#view-processes tr[data-agent='" + spawned + "'] button[data-action=kill]"), null, "Stop", spawned);
        Await.until("the process stopped", () -> processState(spawned).equals("killed"));
        assertThat(ok(Map.of(), "log", "--kind", "process.stopping", "--json").out()).contains("stopped from the dashboard");
    }

    @Test
    @Order(7)
    void aHubKilledAndRestartedEndsTheSessionAndANewLoginShowsWhatChangedAndTheKeyboardSwitchesViews() throws Exception {
        show("leases");
        String port = String.valueOf(Hub.readInfo(project).get("port"));
        String before = session();
        hub.kill();
        Await.until("the page sees the hub gone", () -> "reconnecting".equals(browser.findElement(By.id("live")).getAttribute("data-state")));
        ok(alice, "lock", "acquire", "src/while-down.py", "--ttl", "10m"); // written to the store while no hub serves
        hub = HubProcess.start(project, Map.of(), List.of(), List.of("--port", port));
        // a session lives as long as its hub: one sent to the stopped hub's port (any local process may listen there) is worthless
        Await.until("the page told it is logged out", () -> "logged-out".equals(browser.findElement(By.id("live")).getAttribute("data-state")));
        assertThat(send(HttpRequest.newBuilder(URI.create(hubAddress() + "/api/v1/locks")).header("Authorization", "Session " + before).GET()))
                .startsWith("401");
        HeadlessChromium.logIn(browser, ok(Map.of(), "dashboard", "--no-open", "--json").json().get("url").asString());
        show("leases");
        Await.until("the change made while the hub was down", () -> present("#view-leases tr[data-resource='src/while-down.py']"));

        WebElement tab = browser.findElement(By.cssSelector("[role=tab][data-view=leases]"));
        tab.sendKeys(org.openqa.selenium.Keys.ARROW_RIGHT);
        Await.until("the next view by the keyboard", () -> "true".equals(
                browser.findElement(By.cssSelector("[role=tab][data-view=messages]")).getAttribute("aria-selected")));
        assertThat(browser.switchTo().activeElement().getAttribute("data-view")).isEqualTo("messages");
    }

    @Test
    @Order(9)
    void theOperatorLogsEveryBrowserOutAndTheOpenPageLearnsItFromItsStream() {
        show("agents"); // no output tail on screen, read again by a timer
        Await.until("the page is live", () -> "live".equals(browser.findElement(By.id("live")).getAttribute("data-state")));
        CliRunner.Result ended = ok(Map.of(), "dashboard", "--end-sessions", "--json");
        assertThat(ended.json().get("ended").asInt()).isEqualTo(1);
        // the page asks nothing by itself: only its stream, closed by the hub as the session ended, tells it
        Await.until("the page told it is logged out", () -> "logged-out".equals(browser.findElement(By.id("live")).getAttribute("data-state")));
        assertThat(ok(Map.of(), "dashboard", "--end-sessions").out()).isEqualTo("0 dashboard sessions ended\n");
        HeadlessChromium.logIn(browser, ok(Map.of(), "dashboard", "--no-open", "--json").json().get("url").asString());
        Await.until("live again after a new login", () -> "live".equals(browser.findElement(By.id("live")).getAttribute("data-state")));
    }

    @Test
    @Order(10)
    void aProcessRegisteredAsAnAgentGetsNoLinkEvenWithoutSwarmAgent() {
        ok(Map.of(), "agent", "register", "--id", "lineage", "--pid", Long.toString(ProcessHandle.current().pid()));
        CliRunner.Result refused = cli.run(Map.of(), "dashboard", "--no-open");
        assertThat(refused.exitCode()).isEqualTo(3);
        assertThat(refused.err()).contains("runs as agent 'lineage'");
        assertThat(cli.run(Map.of("SWARM_TOKEN", cli.operatorToken()), "dashboard", "--no-open").exitCode()).as("with the operator's token").isZero();
        assertThat(cli.run(Map.of("SWARM_AGENT", "lineage", "SWARM_TOKEN", cli.operatorToken()), "dashboard", "--no-open").exitCode())
                .as("the operator's token, whatever agent the environment names").isZero();
        assertThat(cli.run(Map.of("SWARM_AGENT", "lineage", "SWARM_TOKEN", "swt_wrong"), "dashboard", "--no-open").exitCode())
                .as("a token that is not the operator's").isEqualTo(4);
        assertThat(cli.run(Map.of(), "dashboard", "--end-sessions").exitCode()).as("nor ends the sessions").isEqualTo(3);
    }

    @Test
    @Order(8)
    void everyViewRendersAtDesktopAndPhoneWidths() throws IOException {
        String parser = ok(alice, "task", "create", "Write the parser", "--json").json().get("id").asString();
        String tests = ok(alice, "task", "create", "Test the parser", "--json").json().get("id").asString();
        ok(alice, "task", "link", parser, "--blocks", tests);
        ok(alice, "doc", "append", "Current Work", "- @alice writes the parser");
        show("tasks");
        Await.until("the dependency graph", () -> browser.findElements(By.cssSelector("#view-tasks svg.graph rect")).size() == 2);
        assertThat(browser.findElement(By.cssSelector("#view-tasks svg.graph")).getAttribute("aria-label")).contains("2 tasks");
        for (String view : VIEWS) {
            show(view);
            assertThat(browser.findElements(By.cssSelector("#view-" + view + " .error"))).as(view + " shows no error").isEmpty();
            screenshot(view + "-1280x800");
        }
        browser.manage().window().setSize(new Dimension(390, 844));
        for (String view : VIEWS) {
            show(view);
            screenshot(view + "-390x844");
        }
        browser.manage().window().setSize(new Dimension(1280, 800));
    }

    private String hubLog() {
        try {
            return Files.readString(project.resolve(".swarm/hub.log"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void screenshot(String name) throws IOException {
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private HttpRequest.Builder post(String hubAddress, String body) {
        return HttpRequest.newBuilder(URI.create(hubAddress + "/api/v1/locks/release-agent")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private String login(String code) {
        try {
            String hubAddress = hubAddress();
            return send(HttpRequest.newBuilder(URI.create(hubAddress + "/login"))
                    .POST(HttpRequest.BodyPublishers.ofString(code)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** "STATUS body". */
    private String send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }
}
