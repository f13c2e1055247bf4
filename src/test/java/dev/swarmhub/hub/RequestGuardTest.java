package dev.swarmhub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swarmhub.kernel.SwarmException;
import org.junit.jupiter.api.Test;

/** Over HTTP, a refusal for lack of credentials says how HTTP gives them, never a CLI option. */
class RequestGuardTest {

    @Test
    void missingCredentialsAreExplainedInHttpTerms() {
        SwarmException token = RequestGuard.hinted(SwarmException.unauthenticated("no token", SwarmException.Missing.TOKEN));
        assertThat(token.getMessage()).isEqualTo("no token: send Authorization: Bearer <agent or operator token>");
        assertThat(token.kind()).isEqualTo(SwarmException.Kind.UNAUTHENTICATED);
        assertThat(RequestGuard.hinted(SwarmException.unauthenticated("agent x is not registered (or not claimed)",
                SwarmException.Missing.REGISTRATION)).getMessage()).doesNotContain("swarm ", "--").contains("POST /api/v1/agents");
        SwarmException other = SwarmException.badInput("bad duration 'soon'");
        assertThat(RequestGuard.hinted(other)).isSameAs(other);
    }
}
