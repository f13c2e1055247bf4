package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.swarmhub.testing.Fuzzing;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API's routes and their JSON bodies, fuzzed over real HTTP (seeds: ApiFuzzTestInputs, one
 * request each). An input is a request line, {@code [operator] METHOD /path?query}, then the body:
 * as the fuzzer's agent, or as the operator.
 */
class ApiFuzzTest {

    /** The statuses of the documented refusals; an answer is 200 or 201 (created), never 500 or 503. */
    private static final Set<Integer> REFUSED = Set.of(400, 401, 404, 409, 413, 429);

    @TempDir
    static Path project;
    private static FuzzedHub hub;

    @AfterAll
    static void stop() {
        if (hub != null) {
            hub.close();
        }
    }

    /** Every request is answered, or refused with a documented error that names what was wrong, and a refused one changed nothing. */
    @FuzzTest
    void everyRequestIsAnsweredOrRefusedAndARefusalChangesNothing(byte[] input) {
        String[] lines = Fuzzing.text(input).split("\n", 2);
        String[] line = lines[0].split(" ", 3);
        boolean operator = line[0].equals("operator");
        int start = operator ? 1 : 0;
        if (line.length < start + 2 || !line[start + 1].startsWith("/") // a path under the API's, not beside it
                || FuzzedHub.leftOut(lines[0]) || lines.length > 1 && FuzzedHub.leftOut(lines[1])) {
            return;
        }
        String method = line[start];
        String path = "/api/v1" + line[start + 1];
        String body = lines.length > 1 ? lines[1] : "";
        hub = FuzzedHub.ready(hub, project);
        FuzzedHub.State before = hub.state();
        hub.send(method, path, operator ? hub.operator : hub.agentToken(), Map.of(), body).ifPresent(reply -> {
            String what = method + " " + path + " " + body + " answered " + reply.status() + " " + reply.body();
            assertThat(reply.status()).as(what).isIn(200, 201, 400, 401, 404, 409, 413, 429);
            assertThat(reply.type()).as(what).startsWith("application/json");
            if (REFUSED.contains(reply.status())) {
                if (reply.status() != 404 || !reply.body().isEmpty()) { // Jetty's own 404 for a path outside the API has no body
                    FuzzedHub.assertRefusal(reply.json(), what);
                }
                assertThat(hub.state()).as(what + "; logged since: " + hub.since(before)).isEqualTo(before);
            } else {
                reply.json(); // a JSON document
            }
            if (!operator && reply.status() == 401) {
                hub.register();
            }
        });
    }
}
