package dev.swarmhub.cli;

import dev.swarmhub.hub.CliFrames;
import dev.swarmhub.hub.HubFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Test helper process: like {@link CliWorker}, but each command line goes through the running
 * hub's socket, as the {@code swarm} client sends it. Answers {@code <exit code>\t<stdout on one line>}.
 */
public final class HubCliWorker {

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter answers = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        answers.println("ready");
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            CliFrames.Response response;
            try {
                response = SwarmClient.exchange(root, line.split("\t"), System.getenv(), root);
            } catch (IOException | RuntimeException failed) { // answered, so that the test's failure names the cause (it died with exit 1 unexplained)
                answers.println("exchange failed\t" + failed);
                continue;
            }
            if (!response.err().isEmpty()) {
                System.err.print(response.err());
            }
            answers.println(response.exitCode() + "\t" + response.out().strip().replace('\n', ' '));
        }
    }
}
