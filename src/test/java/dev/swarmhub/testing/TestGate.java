package dev.swarmhub.testing;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Tx;

/**
 * A gate that admits every caller: lease tests exercise lease semantics, while identity is
 * tested through {@link Agents} (AgentsTest) and the CLI (impersonation tests).
 */
public final class TestGate implements Gate {

    public static final TestGate OPEN = new TestGate();

    private TestGate() {
    }

    /** An agent caller; the open gate never looks at the token. */
    public static Caller as(String agent) {
        return Caller.ofAgent(agent, "unchecked");
    }

    @Override
    public void admit(Tx tx, Caller caller) {
    }

    @Override
    public void sweep(Tx tx) {
    }
}
