package dev.swarmhub.cli;

import dev.swarmhub.hub.Primer;
import dev.swarmhub.kernel.Caller;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code swarm prime}: the primer for the calling agent; its unread messages in it count as read. */
@Command(name = "prime", description = "A short primer for the calling agent: who is here, what it holds, its unread messages "
        + "(shown here, they count as read), and the commands it needs.")
final class PrimeCommand implements Callable<Integer> {

    @ParentCommand
    Swarm swarm;

    @Override
    public Integer call() {
        Caller agent = swarm.actingAgent();
        String text;
        try (CommandServices services = swarm.services()) {
            services.agents.heartbeat(agent); // checks the token before anything is read
            text = Primer.text(services.agents, agent, false, services.messages.handOver(agent, Primer.Batch.PRIMER.messages, "prime"),
                    Primer.Via.CLI);
        }
        return swarm.output.result(Output.document("agent", agent.agentId(), "primer", text), text);
    }
}
