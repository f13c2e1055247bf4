package dev.swarmhub.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in agent client for tests in real tmux panes. {@code hooked ROOT LOG SESSION}: runs
 * the SessionStart hook as Claude Code does (its JSON on stdin, CLAUDE_PID naming this process)
 * and shows what the hook printed; {@code busy ROOT LOG STOP-FILE}: prints a line every 100 ms
 * until the file exists, then "quiet". Both then echo each line typed into the pane ("got: ...").
 * Everything shown in the pane also goes to LOG, which the test reads instead of the pane.
 */
public final class FakeClient {

    private FakeClient() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[1]);
        Path log = Path.of(args[2]);
        if (args[0].equals("hooked")) {
            say(log, "client pid " + ProcessHandle.current().pid());
            say(log, "hook says: " + hook(root, "{\"hook_event_name\":\"SessionStart\",\"source\":\"startup\",\"session_id\":\""
                    + args[3] + "\"}"));
        } else {
            Path stop = Path.of(args[3]);
            for (int line = 0; !Files.exists(stop); line++) {
                say(log, "working on step " + line);
                Thread.sleep(100); // the agent's output pace, not a synchronisation
            }
            say(log, "quiet");
        }
        BufferedReader typed = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = typed.readLine(); line != null; line = typed.readLine()) {
            say(log, "got: " + line);
        }
    }

    private static void say(Path log, String text) throws IOException {
        System.out.println(text);
        Files.writeString(log, text + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static String hook(Path root, String payload) throws IOException, InterruptedException {
        // run through another program (as Claude Code runs hooks through a shell): the hook knows its client by CLAUDE_PID
        List<String> command = new ArrayList<>(List.of("timeout", "120", ProcessHandle.current().info().command().orElse("java"), "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                SwarmClient.class.getName(), "--root", root.toString(), "hook", "claude"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("CLAUDE_PID", Long.toString(ProcessHandle.current().pid()));
        builder.environment().put("CLAUDE_PROJECT_DIR", root.toString()); // as Claude Code gives its hooks
        Process hook = builder.start();
        hook.getOutputStream().write(payload.getBytes(StandardCharsets.UTF_8));
        hook.getOutputStream().close();
        String out = new String(hook.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return "exit " + hook.waitFor() + "\n" + out;
    }
}
