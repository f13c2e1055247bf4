package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.testing.Await;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every call with an agent's token is activity, reads included: a stale agent that only reads is active again. */
class ReadsAreActivityTest {

    @TempDir
    Path project;

    @Test
    void eachReadRouteBringsAStaleAgentBack() {
        try (Hub hub = ApiTest.startHub(project); ApiTest.HubApi api = new ApiTest.HubApi(hub.port())) {
            Services services = hub.services();
            services.settings.set(Caller.ofOperator(), Agents.STALE_AFTER.name(), "1s"); // the hub's timer makes it stale within seconds
            services.settings.set(Caller.ofOperator(), Agents.GONE_AFTER.name(), "1h");
            String token = api.register(OperatorToken.readOrCreate(project), "reader");
            List<String> reads = List.of("/locks", "/agents", "/log?limit=1", "/messages", "/messages/search?q=x", "/openapi.json");
            for (int i = 0; i < reads.size(); i++) {
                Await.until("reader stale before " + reads.get(i),
                        () -> services.agents.find("reader").orElseThrow().status() == Agent.Status.STALE);
                api.ok(api.get(token, reads.get(i)));
                assertThat(services.log.latest("reader", "agent.active", 100)).as("after GET " + reads.get(i)).hasSize(i + 1);
            }
        }
    }
}
