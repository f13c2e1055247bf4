package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.agents.Agents;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.testing.FakeProcesses;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The primer an agent reads when its session starts: who else is here (a few of them named), what it holds, how to go on. */
class PrimerTest {

    @TempDir
    Path project;

    @Test
    void namesTheFirstOthersCountsTheRestAndNamesNoOtherWhenAlone() {
        try (Store store = TestStores.open(project)) {
            Agents agents = new Agents(store, new FakeProcesses());
            Agents.Registered alone = agents.register(new Agents.Registration("solo", "claude", null, null, null));
            Caller solo = Caller.ofAgent(alone.agent().id(), alone.token());
            assertThat(Primer.text(agents, solo, false, List.of(), Primer.Via.CLI)).contains("you are agent solo", "No other agent is here now.",
                    "You hold no leases.", "No unread messages.");

            for (int i = 0; i < 25; i++) {
                agents.register(new Agents.Registration(String.format("peer-%02d", i), "codex", null, null, null));
            }
            String text = Primer.text(agents, solo, true, List.of(), Primer.Via.MCP);
            assertThat(text).contains("(resumed: same id and inbox as before)", "- peer-00 (codex)", "- peer-19 (codex)", "- and 5 more (list_agents)")
                    .doesNotContain("peer-20", "- solo");
        }
    }
}
