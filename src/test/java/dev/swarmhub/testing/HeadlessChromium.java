package dev.swarmhub.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/** Debian's Chromium, headless, driven by its ChromeDriver (no download: both come from apt, as .ci/run installs them). */
public final class HeadlessChromium {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private HeadlessChromium() {
    }

    /** A browser at 1280×800 with its profile in {@code profile}; the network stays on loopback. */
    public static ChromeDriver start(Path profile) {
        assertThat(CHROMIUM).as("install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)").isExecutable();
        assertThat(CHROMEDRIVER).as("install Debian's chromium-driver").isExecutable();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,800", "--user-data-dir=" + profile);
        return new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build(), options);
    }

    /** Opens the dashboard's one-time URL and waits until the page follows the event stream. */
    public static void logIn(ChromeDriver browser, String url) {
        browser.get(url);
        Await.until("the dashboard is live", () -> "live".equals(browser.findElement(By.id("live")).getAttribute("data-state")));
    }
}
