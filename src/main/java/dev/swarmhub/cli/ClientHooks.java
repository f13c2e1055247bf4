package dev.swarmhub.cli;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.agents.PaneBinding;
import dev.swarmhub.host.AgentCredentials;
import dev.swarmhub.host.PaneGuard;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.hub.Primer;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.messages.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import tools.jackson.databind.JsonNode;

/**
 * What an agent client's hook event means for the swarm (Claude Code's hooks, Codex's hooks and
 * its notify program): a session start registers the client session's agent or resumes it and
 * answers with the primer; a prompt or a tool used is work, and hands the agent its unread
 * messages as context for its model; a stop is idle; a permission or question prompt is waiting
 * for input; a session's end (not a /clear) is the agent leaving. The answer is what the hook
 * prints: plain text where the client adds it to the model's context (session start), else the
 * client's JSON.
 */
final class ClientHooks {

    private final Swarm swarm;
    private final CommandServices services;
    private final String client;

    ClientHooks(Swarm swarm, CommandServices services, String client) {
        if (!client.equals("claude") && !client.equals("codex")) {
            throw SwarmException.badInput("unknown client '" + client + "': use claude or codex");
        }
        this.swarm = swarm;
        this.services = services;
        this.client = client;
    }

    /** The hook's output for this event (empty: print nothing). */
    String handle(JsonNode event) {
        if (event.path("type").asString("").equals("agent-turn-complete")) { // Codex's notify program
            report(agentOf(session(event, "thread-id")), Agent.Activity.IDLE);
            return "";
        }
        String name = event.path("hook_event_name").asString("");
        return switch (name) {
            case "SessionStart" -> sessionStart(event);
            case "UserPromptSubmit", "PostToolUse" -> {
                Caller agent = agentOf(session(event, "session_id"));
                yield context(name, services.inOneWrite(() -> { // a hook on every tool call of every agent: one write, not two
                    report(agent, Agent.Activity.WORKING);
                    return messages(agent, Primer.Batch.CONTEXT);
                }));
            }
            case "Stop" -> {
                report(agentOf(session(event, "session_id")), Agent.Activity.IDLE);
                yield client.equals("codex") ? "{}" : ""; // Codex reads a Stop hook's output as JSON
            }
            case "Notification" -> {
                Agent.Activity activity = switch (event.path("notification_type").asString("")) {
                    case "permission_prompt", "elicitation_dialog", "agent_needs_input" -> Agent.Activity.WAITING_FOR_INPUT;
                    case "idle_prompt" -> Agent.Activity.IDLE;
                    default -> null;
                };
                if (activity != null) {
                    report(agentOf(session(event, "session_id")), activity);
                }
                yield "";
            }
            case "PermissionRequest" -> {
                report(agentOf(session(event, "session_id")), Agent.Activity.WAITING_FOR_INPUT);
                yield "";
            }
            case "SessionEnd" -> {
                String reason = event.path("reason").asString("");
                if (!reason.equals("clear") && !reason.equals("resume")) { // the client goes on, as the same process
                    // only the session's agent of this very client leaves: another process naming the session is not it
                    Optional<Caller> own = ownAgent(session(event, "session_id"), clientPid());
                    own.ifPresent(agent -> {
                        services.agents.leave(agent);
                        AgentCredentials.remove(swarm.projectRoot(), agent.agentId());
                    });
                }
                yield "";
            }
            case "" -> throw SwarmException.badInput("the hook's JSON names no hook_event_name (nor is it Codex's notify)");
            default -> ""; // an event this project does not install: nothing to do
        };
    }

    private String session(JsonNode event, String field) {
        String id = event.path(field).asString("");
        if (id.isEmpty()) {
            throw SwarmException.badInput("the hook's JSON has no " + field);
        }
        return client + ":" + id;
    }

    private String sessionStart(JsonNode event) {
        String session = session(event, "session_id");
        Agents.Registered registered = register(session);
        String source = event.path("source").asString("");
        Caller agent = Caller.ofAgent(registered.agent().id(), registered.token());
        if (!source.equals("compact")) {
            report(agent, Agent.Activity.IDLE); // at its prompt; a compaction happens mid-work
        }
        exportAgentId(registered.agent().id());
        return Primer.text(services.agents, agent, registered.resumed(), messages(agent, Primer.Batch.PRIMER), Primer.Via.CLI);
    }

    /** Registers the session's agent (or resumes it) as the client's process, in its tmux pane when it runs in one. */
    private Agents.Registered register(String session) {
        long pid = clientPid();
        PaneBinding binding = paneBinding(pid).orElse(null);
        return AgentCredentials.register(swarm.projectRoot(), () -> services.agents.register(new Agents.Registration(null, client,
                binding == null ? null : binding.pane(), binding == null ? pid : null, null, binding, session)));
    }

    /**
     * The session's agent of this very client process, with its kept token; registered (or resumed)
     * now when it has none: the session started before the hooks were installed, its kept token
     * no longer works, or another live process runs as the same session (each is its own agent).
     */
    private Caller agentOf(String session) {
        long pid = clientPid();
        Optional<Caller> own = ownAgent(session, pid);
        if (own.isPresent()) {
            return own.get();
        }
        return AgentCredentials.whileRegistering(swarm.projectRoot(), () -> ownAgent(session, pid).orElseGet(() -> {
            Agents.Registered registered = register(session);
            return Caller.ofAgent(registered.agent().id(), registered.token());
        }));
    }

    /**
     * The live agent of {@code session} whose process is {@code pid}, when its kept token still works
     * (else a token was minted since: a save that failed, or lost a race; registered again). A look
     * only: what the hook does next as the agent (report, leave) admits it and records its activity.
     */
    private Optional<Caller> ownAgent(String session, long pid) {
        return services.agents.ofSessionProcess(session, pid, id -> AgentCredentials.read(swarm.projectRoot(), id));
    }

    private void report(Caller agent, Agent.Activity activity) {
        services.agents.report(agent, activity);
    }

    /** The client's process: Claude Code names it (CLAUDE_PID); else the program above the shell that runs the hook. */
    private long clientPid() {
        String named = client.equals("claude") ? swarm.environment("CLAUDE_PID") : null; // a codex run from Claude Code's tools inherits it
        if (named != null && named.matches("[1-9][0-9]{0,9}") && ProcessHandle.of(Long.parseLong(named)).isPresent()) {
            return Long.parseLong(named);
        }
        OptionalLong above = PaneGuard.nearestProgramAbove(swarm.callerPid());
        if (above.isEmpty()) {
            throw SwarmException.badInput("cannot tell the " + client + " process this hook runs for");
        }
        return above.getAsLong();
    }

    /** The client's pane when it runs in tmux and the pane still shows it; none otherwise (a stale TMUX_PANE binds nothing). */
    private Optional<PaneBinding> paneBinding(long pid) {
        String pane = swarm.environment("TMUX_PANE");
        if (pane == null || swarm.environment("TMUX") == null) {
            return Optional.empty();
        }
        try {
            Agents.Registration.checkPane(pane);
            return Optional.of(new PaneGuard().bind(new Tmux(swarm.tmuxSocket(null)), pane, pid, null));
        } catch (SwarmException notThere) {
            return Optional.empty();
        }
    }

    /** Lets the commands the client runs name their agent (Claude Code applies CLAUDE_ENV_FILE to its shell commands). */
    private void exportAgentId(String id) {
        String file = swarm.environment("CLAUDE_ENV_FILE");
        if (file == null || file.isBlank()) {
            return;
        }
        try {
            Files.writeString(Path.of(file), "export SWARM_AGENT=" + id + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new SwarmException(SwarmException.Kind.INTERNAL, "cannot write CLAUDE_ENV_FILE " + file + ": " + e.getMessage(), e);
        }
    }

    private List<Messages.View> messages(Caller agent, Primer.Batch batch) {
        return services.messages.handOver(agent, batch.messages, "hook");
    }

    /** Messages as context for the model, in the client's JSON; nothing when there are none. */
    private static String context(String event, List<Messages.View> messages) {
        if (messages.isEmpty()) {
            return "";
        }
        return JsonViews.json(Map.of("hookSpecificOutput", Map.of("hookEventName", event,
                "additionalContext", Primer.messages(messages, Primer.Via.CLI, Primer.Batch.CONTEXT))));
    }
}
