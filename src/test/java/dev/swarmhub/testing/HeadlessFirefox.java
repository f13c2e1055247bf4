package dev.swarmhub.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Debian's Firefox ESR, headless, driven over Marionette, the remote protocol built into Firefox
 * (geckodriver, which Selenium needs, is no Debian package and cannot be downloaded here): a TCP
 * connection carrying length-prefixed JSON commands {@code [0, id, "WebDriver:…", params]}.
 */
public final class HeadlessFirefox implements AutoCloseable {

    public static final Path FIREFOX = Path.of("/usr/bin/firefox-esr");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Process process;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private int nextId;

    private HeadlessFirefox(Process process, Socket socket) throws IOException {
        this.process = process;
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Starts Firefox with a fresh profile in {@code profile} (no network beyond loopback) and opens a session. */
    public static HeadlessFirefox start(Path profile) {
        assertThat(FIREFOX).as("install Debian's firefox-esr (apt-get install firefox-esr)").isExecutable();
        try {
            int port;
            try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = free.getLocalPort();
            }
            Files.createDirectories(profile);
            Files.writeString(profile.resolve("user.js"), String.join("\n", List.of("user_pref(\"marionette.port\", " + port + ");",
                    "user_pref(\"browser.shell.checkDefaultBrowser\", false);", "user_pref(\"datareporting.policy.dataSubmissionEnabled\", false);",
                    "user_pref(\"toolkit.telemetry.enabled\", false);", "user_pref(\"app.update.enabled\", false);",
                    "user_pref(\"network.captive-portal-service.enabled\", false);", "user_pref(\"browser.safebrowsing.malware.enabled\", false);",
                    "user_pref(\"browser.safebrowsing.phishing.enabled\", false);", "user_pref(\"extensions.update.enabled\", false);",
                    "user_pref(\"network.connectivity-service.enabled\", false);")) + "\n");
            Process process = new ProcessBuilder(FIREFOX.toString(), "--headless", "--marionette", "--no-remote", "--profile", profile.toString(),
                    "--window-size=1280,800").redirectErrorStream(true).redirectOutput(profile.resolve("firefox.log").toFile()).start();
            Socket[] connected = new Socket[1];
            Await.until("Firefox's Marionette port", () -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Firefox exited: " + log(profile));
                }
                try {
                    connected[0] = new Socket(InetAddress.getLoopbackAddress(), port);
                    return true;
                } catch (IOException notYet) {
                    return false;
                }
            });
            HeadlessFirefox firefox = new HeadlessFirefox(process, connected[0]);
            firefox.receive(); // the greeting: {"applicationType":"gecko","marionetteProtocol":3}
            firefox.command("WebDriver:NewSession", Map.of("capabilities", Map.of("alwaysMatch", Map.of("acceptInsecureCerts", false))));
            return firefox;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String log(Path profile) {
        try {
            return Files.readString(profile.resolve("firefox.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    public void navigate(String url) {
        command("WebDriver:Navigate", Map.of("url", url));
    }

    /** Runs the script's body in the page (as a function: {@code return} gives its value). */
    public JsonNode script(String body) {
        return command("WebDriver:ExecuteScript", Map.of("script", body, "args", List.of())).path("value");
    }

    public byte[] screenshot() {
        return Base64.getDecoder().decode(command("WebDriver:TakeScreenshot", Map.of("full", false)).path("value").asString());
    }

    private synchronized JsonNode command(String name, Map<String, Object> parameters) {
        try {
            int id = ++nextId;
            byte[] body = JSON.writeValueAsBytes(List.of(0, id, name, parameters));
            out.write((body.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            JsonNode answer = receive();
            if (!answer.path(2).isNull()) {
                throw new IllegalStateException(name + " failed: " + answer.path(2));
            }
            return answer.path(3);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode receive() throws IOException {
        int length = 0;
        for (int c = in.read(); c != ':'; c = in.read()) {
            if (c < '0' || c > '9') {
                throw new IOException("not a Marionette frame (read " + c + ")");
            }
            length = length * 10 + (c - '0');
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(length);
        body.write(in.readNBytes(length));
        return JSON.readTree(body.toByteArray());
    }

    @Override
    public void close() {
        try {
            command("Marionette:Quit", Map.of());
        } catch (RuntimeException alreadyGone) {
            // it may close the connection before answering
        }
        try {
            socket.close();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
