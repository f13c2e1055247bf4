package dev.swarmhub.agents;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Durations;
import dev.swarmhub.kernel.Gate;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.OrderedMap;
import dev.swarmhub.kernel.ProcessIdentity;
import dev.swarmhub.kernel.ProcessProbe;
import dev.swarmhub.kernel.Retention;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.kernel.Tokens;
import dev.swarmhub.kernel.Tx;
import dev.swarmhub.leases.Lease;
import dev.swarmhub.leases.LeaseStore;
import dev.swarmhub.leases.Leases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent registry: registration with tokens, activity, and the liveness sweep
 * (active → stale → gone). Every transition happens inside a write transaction that re-reads
 * the agent, so an agent whose activity commits first is never marked dead by a sweep that
 * commits after it; and a transition is recorded once, because the next sweep sees it done.
 */
public final class Agents implements Gate {

    /** The shortest stale-after the settings accept (gone-after must be longer). */
    public static final Duration MIN_STALE_AFTER = Duration.ofSeconds(1);
    /** Silence after which an agent whose process the hub cannot watch is stale. */
    public static final Setting<Duration> STALE_AFTER = Setting.duration("agents.stale-after", Duration.ofSeconds(60))
            .checkedBy((tx, stale) -> checkThresholds(stale, Agents.GONE_AFTER.in(tx)));
    /** Silence after which such an agent is gone (its leases released). */
    public static final Setting<Duration> GONE_AFTER = Setting.duration("agents.gone-after", Duration.ofSeconds(300))
            .checkedBy((tx, gone) -> checkThresholds(Agents.STALE_AFTER.in(tx), gone));
    /** How long an agent may work without a sign of progress (a tool used, pane output) before it counts as stalled. */
    public static final Setting<Duration> STALLED_AFTER = Setting.duration("agents.stalled-after", Duration.ofMinutes(10))
            .checkedBy((tx, stalled) -> {
                if (stalled.compareTo(MIN_STALE_AFTER) < 0) {
                    throw SwarmException.badInput("agents.stalled-after must be at least " + Durations.format(MIN_STALE_AFTER));
                }
            });
    public static final List<Setting<?>> SETTINGS = List.of(STALE_AFTER, GONE_AFTER, STALLED_AFTER);
    /**
     * A hub silent this long (store time) no longer vouches for its host's agents: a hub on
     * another host, or any process there, judges them by their silence ({@link #presence}).
     */
    public static final Duration HUB_SILENCE = Duration.ofSeconds(10);
    private static final Pattern SESSION = Pattern.compile("[a-z]{1,16}:[A-Za-z0-9._-]{1,128}");
    private static final Pattern NUMBERED = Pattern.compile("agent-(\\d{1,9})");
    private static final Pattern PANE = Pattern.compile("%\\d{1,9}");
    private static final int MAX_LABEL = 128;
    /** Ids the hub speaks or reads as: an agent under one of them would bypass rate limits or read the operator's inbox. */
    private static final Set<String> RESERVED_IDS = Set.of(Caller.OPERATOR_ID, Caller.HUB_ID);

    private static final long SWEEP_INTERVAL_MS = 250;
    private static final long ACTIVITY_RESOLUTION_MS = 1_000;

    private final Store store;
    private final ProcessProbe probe;
    private final AtomicLong lastSweep = new AtomicLong(Long.MIN_VALUE / 2);
    /**
     * Agents whose processes one sweep checks at most, in turn by id: a sweep runs inside a write
     * (every {@value #SWEEP_INTERVAL_MS} ms) and a process check reads /proc, so with a thousand
     * agents each is checked every few sweeps instead of every write waiting for a thousand checks.
     * A decision about one agent (registering its id or pane, its own call, holding a lease another
     * wants) checks it at once. Where the batches go on is kept in the store ({@link AgentStore#sweptThrough}).
     */
    static final int SWEEP_BATCH = 128;
    /** Agent ids by the hashes of tokens {@link #bearer} accepted lately. */
    private final Map<String, String> recentBearers = new ConcurrentHashMap<>();
    private static final int MAX_RECENT_BEARERS = 10_000;

    /**
     * Whether a hub supervises the agent's process (the processes domain): its end is recorded by
     * that hub, with its exit code or who stopped it, so the sweep does not call it gone first.
     */
    private volatile java.util.function.BiPredicate<Tx, String> supervised = (tx, id) -> false;

    public Agents(Store store, ProcessProbe probe) {
        this.store = store;
        this.probe = probe;
    }

    /** Leaves the death of supervised agents' processes to their supervisor (see {@link #supervised}). */
    public void leaveDeathsTo(java.util.function.BiPredicate<Tx, String> supervisedAgent) {
        this.supervised = supervisedAgent;
    }

    /**
     * What to register; {@code id} null picks the next free {@code agent-N}; {@code kind} null
     * keeps a claimed agent's kind, else means "other". A {@code pane} needs its {@code binding}
     * (the server and processes, checked on this host where the pane is): the pane id alone names
     * no terminal; the binding's agent process is the agent's process. {@code session}: the client
     * session it runs as ({@code claude:ID}, {@code codex:ID}), or null. With {@code id} null, a
     * client that starts again resumes its agent: the last one of its session, else the last one
     * of its pane (of the same kind), when that one's process has ended or is this very process.
     */
    public record Registration(String id, String kind, String pane, Long pid, String label, PaneBinding binding, String session) {

        /** Without a pane binding. */
        public Registration(String id, String kind, String pane, Long pid, String label) {
            this(id, kind, pane, pid, label, null, null);
        }

        /** Without a client session. */
        public Registration(String id, String kind, String pane, Long pid, String label, PaneBinding binding) {
            this(id, kind, pane, pid, label, binding, null);
        }

        public static void checkPane(String pane) {
            if (!PANE.matcher(pane).matches()) {
                throw SwarmException.badInput("bad tmux pane id '" + pane + "': expected % and a number, like %3");
            }
        }

        public Registration {
            if (id != null) {
                refuseReserved(Limits.agentId(id));
            }
            kind = kind == null ? null : kind.toLowerCase(Locale.ROOT);
            if (kind != null && !Agent.KINDS.contains(kind)) {
                throw SwarmException.badInput("unknown agent kind '" + kind + "': use one of " + String.join(", ", Agent.KINDS));
            }
            if (pane != null) {
                checkPane(pane);
            }
            if (pid != null && pid <= 0) {
                throw SwarmException.badInput("bad pid " + pid + ": must be positive");
            }
            if (pane != null && binding == null) {
                throw SwarmException.badInput("tmux pane " + pane + " needs its tmux server: register from inside the pane's tmux "
                        + "($TMUX), or name the server's socket");
            }
            if (binding != null && (!binding.pane().equals(pane) || pid != null && pid != binding.agentPid())) {
                throw new IllegalArgumentException("the pane binding " + binding + " is not for pane " + pane + " and pid " + pid);
            }
            label = Limits.visibleText("label", label == null ? "" : label, MAX_LABEL);
            if (session != null && !SESSION.matcher(session).matches()) {
                throw SwarmException.badInput("bad client session (" + session.length() + " characters): expected CLIENT:ID such as claude:"
                        + "0199a213-81c0-7800-8aa1-bbab2a035a53 (letters, digits, . _ -; at most 128)");
            }
        }
    }

    private static void refuseReserved(String id) {
        if (RESERVED_IDS.contains(id.toLowerCase(Locale.ROOT))) {
            throw SwarmException.badInput("agent id '" + id + "' is reserved (" + String.join(", ", RESERVED_IDS.stream().sorted().toList())
                    + " name the operator and the hub): choose another id");
        }
    }

    /** A registered agent and its token, shown once; {@code resumed}: it is an agent that was here before, back. */
    public record Registered(Agent agent, String token, boolean resumed) {
    }

    /** An agent process seen in a tmux pane of this host: the pane's binding to it, and its kind. */
    public record Sighting(PaneBinding binding, String kind) {
    }

    /** What a discovery changed. */
    public record Discovery(List<Agent> registered, List<Agent> seenAgain, List<String> gone) {
    }

    /** An agent with the resources it holds now. */
    public record Listed(Agent agent, List<String> leases) {
    }

    public Registered register(Registration registration) {
        return store.write(tx -> {
            sweepWhenDue(tx); // the agents this registration may take over are checked themselves (swept)
            Optional<Agent> resumed = registration.id() != null ? Optional.empty() : resumable(tx, registration);
            String id = registration.id() != null ? registration.id() : resumed.map(Agent::id)
                    .or(() -> claimablePaneAgent(tx, registration)).orElseGet(() -> nextFreeId(tx));
            Optional<Agent> existing = AgentStore.in(tx).agent(id).map(agent -> checkedNow(tx, agent));
            if (existing.isPresent() && existing.get().status() != Agent.Status.GONE && !claimable(existing.get(), registration)
                    && resumed.isEmpty()) {
                throw SwarmException.denied("agent id " + id + " is " + existing.get().status().label() + " (last seen "
                        + java.time.Instant.ofEpochMilli(existing.get().lastSeen()) + "); choose another id or wait until it is gone");
            }
            PaneBinding binding = registration.binding();
            if (binding != null) {
                AgentStore.in(tx).liveAgentOnPane(probe.host(), binding.socket(), binding.pane()).map(owner -> checkedNow(tx, owner))
                        .filter(owner -> owner.status() != Agent.Status.GONE)
                        .filter(owner -> !owner.id().equals(id)).ifPresent(owner -> {
                    throw SwarmException.denied("tmux pane " + binding.pane() + " belongs to agent " + owner.id());
                });
            }
            // an existing agent not gone is claimed here (discovered on this pane, or resumed by its own process): it keeps its kind
            // and first sighting; a resumed one keeps them too, and its label unless a new one is given
            Optional<Agent> claimed = existing.filter(a -> a.status() != Agent.Status.GONE || resumed.isPresent());
            Long pid = registration.pid();
            Long started = null;
            if (binding != null) {
                pid = binding.agentPid();
                started = binding.agentStartedAt();
            } else if (registration.pid() != null) {
                started = probe.startedAt(registration.pid()).stream().boxed().findFirst()
                        .orElseThrow(() -> SwarmException.badInput("no process " + registration.pid() + " on this host"));
            }
            String token = Tokens.newToken();
            long now = tx.now();
            String kind = registration.kind() != null ? registration.kind() : claimed.map(Agent::kind).orElse("other");
            String label = registration.label().isEmpty() ? resumed.map(Agent::label).orElse("") : registration.label();
            Agent agent = new Agent(id, kind, Agent.Status.ACTIVE, label, registration.pane(),
                    binding == null ? null : binding.socket(), binding == null ? null : binding.panePid(),
                    binding == null ? null : binding.panePidStartedAt(), pid, started, probe.host(),
                    claimed.map(Agent::registeredAt).orElse(now), now, now, true, registration.session(), null, now, now);
            AgentStore.in(tx).saveAgent(agent, Tokens.hash(token));
            tx.appendEvent("agent.registered", id, null, OrderedMap.of("kind", agent.kind(), "pane", agent.pane(),
                    "tmuxSocket", agent.tmuxSocket(), "pid", agent.pid(), "host", agent.host(), "label", agent.label(),
                    "session", agent.session(), "resumed", resumed.isPresent()));
            return new Registered(agent, token, resumed.isPresent());
        });
    }

    /**
     * The agent a client starting again comes back as: the last agent of its session, else the
     * last one bound to its pane if of the same kind; only when that agent is gone, or its process
     * has ended (it is marked gone here: what it held stays released), or its process is the one
     * registering now (a client that reloads, such as Claude Code after /clear or compaction).
     * A live agent of another live process is never taken over.
     */
    private Optional<Agent> resumable(Tx tx, Registration registration) {
        AgentStore agents = AgentStore.in(tx);
        PaneBinding binding = registration.binding();
        Long pid = binding != null ? Long.valueOf(binding.agentPid()) : registration.pid();
        Optional<Agent> bySession = Optional.ofNullable(registration.session()).flatMap(agents::lastAgentOfSession)
                .filter(agent -> resumes(tx, agent, pid));
        if (bySession.isPresent()) {
            return bySession;
        }
        if (binding != null) {
            Optional<Agent> byPane = agents.lastAgentOnPane(probe.host(), binding.socket(), binding.pane())
                    .filter(agent -> agent.claimed() && (registration.kind() == null || registration.kind().equals(agent.kind())))
                    .filter(agent -> resumes(tx, agent, pid));
            if (byPane.isPresent()) {
                return byPane;
            }
        }
        if (pid == null || registration.session() == null) {
            return Optional.empty();
        }
        // a client whose session changed while it runs on (Claude Code's /clear starts a new session): its own live agent
        return AgentStore.in(tx).liveAgentsOfProcess(probe.host(), pid).stream().filter(agent -> agent.claimed() && agent.session() != null && runsAs(agent, pid)
                && (registration.kind() == null || registration.kind().equals(agent.kind()))).findFirst();
    }

    /** Whether {@code agent} may be resumed by the process {@code pid}: it is gone, its process ended (marked gone now), or it is that process. */
    private boolean resumes(Tx tx, Agent agent, Long pid) {
        if (agent.status() == Agent.Status.GONE || agent.pid() != null && agent.pid().equals(pid) && agent.host().equals(probe.host())) {
            return true;
        }
        String ended = processCheck(tx, agent).ended();
        if (ended != null) {
            markGone(tx, agent, ended);
        }
        return ended != null;
    }

    /** An unclaimed (discovered) agent on the pane being registered (same server) may be claimed by registering on that pane. */
    private static boolean claimable(Agent agent, Registration registration) {
        return !agent.claimed() && registration.binding() != null && agent.pane() != null && agent.pane().equals(registration.pane())
                && registration.binding().socket().equals(agent.tmuxSocket());
    }

    private Optional<String> claimablePaneAgent(Tx tx, Registration registration) {
        if (registration.binding() == null) {
            return Optional.empty();
        }
        return AgentStore.in(tx).liveAgentOnPane(probe.host(), registration.binding().socket(), registration.pane())
                .map(agent -> checkedNow(tx, agent)).filter(agent -> agent.status() != Agent.Status.GONE)
                .filter(a -> claimable(a, registration)).map(Agent::id);
    }

    private static String nextFreeId(Tx tx) {
        long highest = 0;
        for (String id : AgentStore.in(tx).idsStartingWith("agent-")) {
            Matcher numbered = NUMBERED.matcher(id);
            if (numbered.matches()) {
                highest = Math.max(highest, Long.parseLong(numbered.group(1)));
            }
        }
        return "agent-" + (highest + 1);
    }

    /**
     * Checks the token and records the activity; an agent whose process ended or that stayed
     * silent past the gone threshold cannot revive itself by calling. The full sweep runs here
     * at most every {@value #SWEEP_INTERVAL_MS} ms of store time (busy hubs write thousands
     * of times a second; the hub's timer sweeps every second anyway).
     */
    @Override
    public void admit(Tx tx, Caller caller) {
        sweepWhenDue(tx);
        if (caller.operator()) {
            return;
        }
        Agent agent;
        try {
            agent = authenticated(tx, caller);
        } catch (SwarmException refused) {
            forgetBearer(caller.token());
            throw refused;
        }
        String death = deathOf(tx, agent);
        if (death != null) {
            forgetBearer(caller.token()); // the sweep records it gone: this refusal rolls the transaction back
            throw SwarmException.unauthenticated("agent " + agent.id() + " is gone (" + death + "): register again");
        }
        if (agent.status() == Agent.Status.STALE || tx.now() - agent.lastSeen() >= ACTIVITY_RESOLUTION_MS) {
            AgentStore.in(tx).touchAgent(agent.id()); // at most once a second: thresholds are whole seconds, writes are not free
            LeaseStore.in(tx).renewWhileActive(agent.id()); // a task's claim lives while its holder calls
        }
        if (agent.status() == Agent.Status.STALE) {
            AgentStore.in(tx).setAgentStatus(agent.id(), Agent.Status.ACTIVE);
            tx.appendEvent("agent.active", agent.id(), null, OrderedMap.of("was", "stale"));
        }
    }

    /** The sweep, unless one ran less than {@value #SWEEP_INTERVAL_MS} ms of store time ago. */
    private void sweepWhenDue(Tx tx) {
        long now = tx.now();
        long last = lastSweep.get();
        if (now - last >= SWEEP_INTERVAL_MS || now < last) {
            sweep(tx);
            lastSweep.set(now);
        }
    }

    private void forgetBearer(String token) {
        if (token != null && !token.isEmpty()) {
            recentBearers.remove(Tokens.hash(token));
        }
    }

    private static Agent authenticated(Tx tx, Caller caller) {
        String id = caller.agent();
        if (id == null || id.isEmpty()) {
            throw SwarmException.unauthenticated("no agent given", SwarmException.Missing.AGENT);
        }
        Limits.agentId(id);
        if (RESERVED_IDS.contains(id.toLowerCase(Locale.ROOT))) {
            throw SwarmException.unauthenticated("agent id " + id + " is reserved and cannot act as an agent (registered before ids were reserved): register another id");
        }
        if (caller.token() == null || caller.token().isEmpty()) {
            throw SwarmException.unauthenticated("no token for agent " + id, SwarmException.Missing.TOKEN);
        }
        AgentStore.Claimed claimed = AgentStore.in(tx).claimedAgent(id).orElseThrow(() -> SwarmException.unauthenticated(
                "agent " + id + " is not registered (or not claimed)", SwarmException.Missing.REGISTRATION));
        if (!Tokens.matches(caller.token(), claimed.tokenHash())) {
            throw SwarmException.unauthenticated("wrong token for agent " + id);
        }
        Agent agent = claimed.agent();
        if (agent.status() == Agent.Status.GONE) {
            throw SwarmException.unauthenticated("agent " + id + " is gone: register again");
        }
        return agent;
    }

    public Agent heartbeat(Caller caller) {
        String id = caller.agentId();
        return store.write(tx -> {
            admit(tx, caller);
            return AgentStore.in(tx).agent(id).orElseThrow();
        });
    }

    /**
     * The agent tells what it is doing (its client's hooks do): working (which is progress too),
     * idle or waiting-for-input. Stalled is not reported: the sweep concludes it.
     */
    public Agent report(Caller caller, Agent.Activity activity) {
        if (activity == null || activity == Agent.Activity.STALLED) {
            throw SwarmException.badInput("report working, idle or waiting-for-input (stalled is what the hub concludes)");
        }
        String id = caller.agentId();
        return store.write(tx -> {
            admit(tx, caller);
            Agent agent = AgentStore.in(tx).agent(id).orElseThrow();
            recordActivity(tx, agent, activity, activity == Agent.Activity.WORKING ? tx.now() : agent.progressAt());
            return AgentStore.in(tx).agent(id).orElseThrow();
        });
    }

    /**
     * What the agent's pane showed (the hub's watcher looks at it now and then): {@code changed},
     * its output changed since the last look, which is progress (a stalled agent works again);
     * else it stayed quiet for the watcher's quiet period. An agent without hooks (no client
     * session) has no other source: it is working while its pane changes and idle once quiet.
     */
    public void paneSeen(String id, boolean changed) {
        store.write(tx -> {
            AgentStore.in(tx).agent(id).filter(agent -> agent.status() != Agent.Status.GONE).ifPresent(agent -> {
                Agent.Activity activity = agent.activity();
                if (changed) {
                    boolean working = !agent.hooked() || activity == Agent.Activity.STALLED || activity == null;
                    recordActivity(tx, agent, working ? Agent.Activity.WORKING : activity, tx.now());
                } else if (!agent.hooked() && activity != Agent.Activity.IDLE) {
                    recordActivity(tx, agent, Agent.Activity.IDLE, agent.progressAt());
                }
            });
            return null;
        });
    }

    private static void recordActivity(Tx tx, Agent agent, Agent.Activity activity, long progressAt) {
        boolean changed = agent.activity() != activity;
        AgentStore.in(tx).setActivity(agent.id(), activity, changed ? tx.now() : agent.activitySince(), progressAt);
        if (changed) {
            tx.appendEvent("agent.activity", agent.id(), null, OrderedMap.of("activity", activity.label(),
                    "was", agent.activity() == null ? null : agent.activity().label()));
        }
    }

    /** The agent leaves: its leases are released and it is gone (its id may be registered again). */
    public List<Lease> leave(Caller caller) {
        String id = caller.agentId();
        return store.write(tx -> {
            admit(tx, caller);
            List<Lease> released = Leases.forceReleaseAll(tx, id, "agent left");
            AgentStore.in(tx).setAgentStatus(caller.agent(), Agent.Status.GONE);
            tx.appendEvent("agent.gone", caller.agent(), null, OrderedMap.of("reason", "left", "released", released.size()));
            return released;
        });
    }

    /** Operator action: releases the agent's leases and deletes it from the registry. */
    public List<Lease> remove(Caller operator, String id, String reason) {
        operator.requireOperator("remove an agent");
        Limits.agentId(id);
        String why = Limits.reason(reason).isEmpty() ? "removed by operator" : reason;
        return store.write(tx -> {
            AgentStore.in(tx).agent(id).orElseThrow(() -> SwarmException.badInput("no agent " + id));
            List<Lease> released = Leases.forceReleaseAll(tx, id, why);
            AgentStore.in(tx).deleteAgent(id);
            tx.appendEvent("agent.removed", id, null, OrderedMap.of("reason", why, "released", released.size()));
            return released;
        });
    }

    /** Operator action: a fresh token for the agent (the old one stops working); for the CLI's agent env. */
    public String issueToken(Caller operator, String id) {
        operator.requireOperator("issue an agent's token");
        Limits.agentId(id);
        return store.write(tx -> {
            Agent agent = AgentStore.in(tx).agent(id).orElseThrow(() -> SwarmException.badInput("no agent " + id));
            if (agent.status() == Agent.Status.GONE) {
                throw SwarmException.denied("agent " + id + " is gone: register it again");
            }
            String token = Tokens.newToken();
            AgentStore.in(tx).setAgentToken(id, Tokens.hash(token));
            tx.appendEvent("agent.token-issued", id, null, OrderedMap.of());
            return token;
        });
    }

    /** Gone agents, once gone longer than the retention: a session gone that long is not resumed. */
    public static final Retention.Part PRUNING = Retention.Part.of("agents", (tx, before, limit) -> AgentStore.in(tx).goneBefore(before, limit),
            (tx, gone) -> gone.forEach(agent -> AgentStore.in(tx).deleteAgent(agent.id())));

    /** Whether any agent is active (not stale, not gone), as the last sweep left them. */
    public boolean anyActive() {
        return store.read(tx -> AgentStore.in(tx).anyActive());
    }

    /**
     * The agents not gone, or ({@code includeGone}) every one, with their live leases, after a
     * sweep. Gone agents are most of a long-lived registry, and few readers want them.
     */
    public List<Listed> list(boolean includeGone) {
        sweep();
        return store.read(tx -> {
            Map<String, List<String>> held = new LinkedHashMap<>();
            for (Lease lease : LeaseStore.in(tx).leases(null, false)) {
                held.computeIfAbsent(lease.agent(), a -> new ArrayList<>()).add(lease.resource().text());
            }
            return AgentStore.in(tx).agents(includeGone).stream().map(agent -> new Listed(agent, held.getOrDefault(agent.id(), List.of()))).toList();
        });
    }

    /** Who else is here, in short: the first agents not gone other than one, by id, with their leases; how many others in all; what that one holds. */
    public record Roster(List<Listed> others, int otherCount, List<String> held) {
    }

    /** The roster as {@code me} sees it, with at most {@code limit} others listed (after a sweep); reads no more agents than it lists. */
    public Roster roster(String me, int limit) {
        sweep();
        return store.read(tx -> {
            AgentStore agents = AgentStore.in(tx);
            List<Listed> others = agents.firstLive(limit + 1).stream().filter(agent -> !agent.id().equals(me)).limit(limit)
                    .map(agent -> new Listed(agent, heldBy(tx, agent.id()))).toList();
            boolean meLive = agents.agent(me).filter(agent -> agent.status() != Agent.Status.GONE).isPresent();
            return new Roster(others, agents.liveCount() - (meLive ? 1 : 0), heldBy(tx, me));
        });
    }

    private static List<String> heldBy(Tx tx, String agent) {
        return LeaseStore.in(tx).leases(agent, false).stream().map(lease -> lease.resource().text()).toList();
    }

    /**
     * Brings the registry in line with what the tmux server at {@code socket} shows on this host:
     * registers newly seen agents (unclaimed, with ids stable per pane such as claude-pane3),
     * counts a seen agent as active, and marks gone the agents of that server's panes that
     * vanished or now run another process. Agents of other servers are left alone: this listing
     * says nothing about them. One transaction, so concurrent discoveries never register one pane
     * twice.
     */
    public Discovery reconcile(String socket, List<Sighting> sightings, java.util.Set<String> livePanes) {
        return store.write(tx -> {
            String host = probe.host();
            List<Agent> registered = new ArrayList<>();
            List<Agent> seenAgain = new ArrayList<>();
            List<String> gone = new ArrayList<>();
            for (Sighting sighting : sightings) {
                PaneBinding binding = sighting.binding();
                Optional<Agent> owner = AgentStore.in(tx).liveAgentOnPane(host, socket, binding.pane());
                // discovery may see another process of the agent's tree (a wrapper's child): a live bound process keeps its agent
                if (owner.isPresent() && (owner.get().pid() == null || owner.get().pid() == binding.agentPid()
                        || processCheck(owner.get()).ended() == null)) {
                    AgentStore.in(tx).touchAgent(owner.get().id());
                    seenAgain.add(owner.get());
                    continue;
                }
                owner.ifPresent(replaced -> {
                    markGone(tx, replaced, "process " + replaced.pid() + " in pane " + binding.pane() + " was replaced");
                    gone.add(replaced.id());
                });
                String id = freeIdLike(tx, sighting.kind() + "-pane" + binding.pane().substring(1));
                Agent agent = new Agent(id, sighting.kind(), Agent.Status.ACTIVE, "", binding.pane(), socket, binding.panePid(),
                        binding.panePidStartedAt(), binding.agentPid(), binding.agentStartedAt(), host, tx.now(), tx.now(), tx.now(), false,
                        null, null, tx.now(), tx.now());
                AgentStore.in(tx).saveAgent(agent, null);
                tx.appendEvent("agent.discovered", id, null, OrderedMap.of("kind", agent.kind(), "pane", agent.pane(),
                        "tmuxSocket", socket, "pid", agent.pid()));
                registered.add(agent);
            }
            for (Agent agent : liveHere(tx)) {
                if (agent.pane() != null && socket.equals(agent.tmuxSocket())
                        && !livePanes.contains(agent.pane())) {
                    markGone(tx, agent, "tmux pane " + agent.pane() + " vanished");
                    gone.add(agent.id());
                }
            }
            sweep(tx);
            return new Discovery(registered, seenAgain, gone);
        });
    }

    /** The id itself when free (or gone), else the id with the first free numeric suffix. */
    private static String freeIdLike(Tx tx, String id) {
        String candidate = id;
        for (int suffix = 2; AgentStore.in(tx).agent(candidate).filter(a -> a.status() != Agent.Status.GONE).isPresent(); suffix++) {
            candidate = id + "-" + suffix;
        }
        return candidate;
    }

    /** The agent whose token this is (for bearer tokens, which name no agent); unauthenticated otherwise. */
    public Caller bearer(String token) {
        if (token == null || token.isEmpty()) {
            throw SwarmException.unauthenticated("no token", SwarmException.Missing.TOKEN);
        }
        String hash = Tokens.hash(token);
        Seen seen = store.read(tx -> holderOf(tx, hash).map(agent -> new Seen(agent, tx.now()))).orElseThrow(() -> {
            recentBearers.remove(hash); // nor does it stand for an admitting operation any more
            return SwarmException.unauthenticated("unknown token, or its agent is gone");
        });
        Caller caller = Caller.ofAgent(seen.agent().id(), token);
        if (seen.agent().status() == Agent.Status.STALE || seen.at() - seen.agent().lastSeen() >= ACTIVITY_RESOLUTION_MS) {
            store.write(tx -> { // a read is activity too; written at most once a second, like admit's own
                admit(tx, caller);
                return null;
            });
        }
        if (recentBearers.size() >= MAX_RECENT_BEARERS) {
            recentBearers.clear();
        }
        recentBearers.put(hash, caller.agent());
        return caller;
    }

    /**
     * {@link #bearer} for an operation that passes the caller to {@link #admit}, which checks the
     * token again in the operation's own transaction: a token this process verified before needs
     * no read of its own. Admit's refusal forgets it, so a revoked token costs one more read.
     */
    public Caller bearerCheckedAgainOnAdmit(String token) {
        String agent = token == null || token.isEmpty() ? null : recentBearers.get(Tokens.hash(token));
        return agent != null ? Caller.ofAgent(agent, token) : bearer(token);
    }

    private record Seen(Agent agent, long at) {
    }

    /** The events after which a token may no longer be an agent's: it left, was removed, or got a new token (by the operator, or by registering again). */
    public static final Set<String> TOKEN_ENDING_EVENTS = Set.of("agent.gone", "agent.removed", "agent.token-issued", "agent.registered");

    /** Whether the token is still an agent's that is not gone; a look only, no activity of the agent. */
    public boolean holdsToken(String token) {
        return token != null && !token.isEmpty() && store.read(tx -> holderOf(tx, Tokens.hash(token)).isPresent());
    }

    private static Optional<Agent> holderOf(Tx tx, String tokenHash) {
        return AgentStore.in(tx).agentWithTokenHash(tokenHash).flatMap(AgentStore.in(tx)::agent).filter(agent -> agent.status() != Agent.Status.GONE);
    }

    public Optional<Agent> find(String id) {
        return store.read(tx -> AgentStore.in(tx).agent(id));
    }

    /**
     * The live agent of this host whose registered process is the nearest of {@code lineage} (a
     * process and its ancestors, nearest first), told apart from a reused pid by its start time.
     */
    public Optional<Agent> ofProcessLineage(List<Long> lineage) {
        List<Agent> live = store.read(this::liveHere);
        for (long pid : lineage) {
            for (Agent agent : live) {
                if (runsAs(agent, pid)) {
                    return Optional.of(agent);
                }
            }
        }
        return Optional.empty();
    }

    /** The live agents of this host bound to a tmux pane (a read: no sweep first). */
    public List<Agent> inPanesHere() {
        return store.read(tx -> AgentStore.in(tx).liveAgentsInPanes(probe.host())).stream().filter(agent -> agent.paneBinding() != null).toList();
    }

    /**
     * The live agent of this host that runs as client session {@code session} in process {@code pid}
     * (alive, not a reused pid), as the caller of the token kept for it ({@code keptToken}, by agent
     * id) while that token is still the agent's; in one read. A look only, no activity of the agent
     * (for a caller whose next write admits it). {@code keptToken} runs inside that read and must not
     * use the store (a second read would wait for another pooled reader).
     */
    public Optional<Caller> ofSessionProcess(String session, long pid, Function<String, Optional<String>> keptToken) {
        return store.read(tx -> AgentStore.in(tx).liveAgentsOfSession(probe.host(), session).stream().filter(agent -> runsAs(agent, pid)).findFirst()
                .flatMap(agent -> keptToken.apply(agent.id())
                        .filter(token -> AgentStore.in(tx).agentWithTokenHash(Tokens.hash(token)).filter(agent.id()::equals).isPresent())
                        .map(token -> Caller.ofAgent(agent.id(), token))));
    }

    /** The agents of this host that are not gone. */
    private List<Agent> liveHere(Tx tx) {
        return AgentStore.in(tx).sweepCandidates(Long.MIN_VALUE, probe.host(), Long.MIN_VALUE, "", Integer.MAX_VALUE);
    }

    /** Whether the agent's registered process is {@code pid} and still runs (not a reused pid). */
    private boolean runsAs(Agent agent, long pid) {
        return agent.pid() != null && agent.pid() == pid && processCheck(agent).alive();
    }

    /** The agent that ran as this client session most lately, gone or not. */
    public Optional<Agent> ofSession(String session) {
        return store.read(tx -> AgentStore.in(tx).lastAgentOfSession(session));
    }

    /** The live agent bound to this pane of the tmux server at {@code socket}. */
    public Optional<Agent> onPane(String socket, String pane) {
        return store.read(tx -> AgentStore.in(tx).liveAgentOnPane(probe.host(), socket, pane));
    }

    /**
     * Agents recorded under this machine's host name alone (before hosts carried their machine):
     * those whose registered process runs here are this host's; the others are left to be judged
     * by their silence, as another host's (a machine of the same name may run them).
     */
    public void adoptRecordedUnderHostName() {
        if (probe.hostName().equals(probe.host())) {
            return;
        }
        if (store.read(this::recordedUnderHostName).isEmpty()) {
            return; // the usual case: no write
        }
        store.write(tx -> {
            for (Agent agent : recordedUnderHostName(tx)) {
                if (agent.pid() != null && agent.pidStartedAt() != null && probe.runs(new ProcessIdentity(agent.host(), agent.pid(), agent.pidStartedAt()))) {
                    AgentStore.in(tx).setAgentHost(agent.id(), probe.host());
                }
            }
            return null;
        });
    }

    private List<Agent> recordedUnderHostName(Tx tx) {
        return AgentStore.in(tx).sweepCandidates(Long.MIN_VALUE, probe.hostName(), Long.MIN_VALUE, "", Integer.MAX_VALUE);
    }

    /**
     * What a hub does every second: it vouches for its host's agents, whose processes it checks
     * (scope: its host and checkout). While it is seen, processes on other hosts leave them to it.
     */
    public Sweep presence(String hubScope) {
        return new Sweep("this hub's presence", () -> store.write(tx -> {
            AgentStore.in(tx).hubSeen(hubScope, probe.host());
            return null;
        }));
    }

    /** The hub of this scope stops: from now on its host's agents are judged by their silence elsewhere. */
    public void hubStopped(String hubScope) {
        store.write(tx -> {
            AgentStore.in(tx).hubStopped(hubScope);
            return null;
        });
    }

    /** Runs the sweep in its own transaction. */
    public void sweep() {
        long now = store.read(Tx::now);
        long last = lastSweep.get();
        if (now - last < SWEEP_INTERVAL_MS && now > last) {
            return; // swept a moment ago (reads call this before every listing; a busy hub lists often)
        }
        store.write(tx -> {
            sweep(tx);
            lastSweep.set(tx.now());
            return null;
        });
    }

    @Override
    public void sweepBeforeRead() {
        sweep();
    }

    /** Moves agents along active → stale → gone by store time and by their processes on this host. */
    @Override
    public void sweep(Tx tx) {
        long now = tx.now();
        long staleAfter = STALE_AFTER.in(tx).toMillis();
        long goneAfter = GONE_AFTER.in(tx).toMillis();
        AgentStore agents = AgentStore.in(tx);
        String after = agents.sweptThrough();
        List<Agent> batch = agents.sweepCandidates(now - staleAfter, probe.host(), now - HUB_SILENCE.toMillis(), after, SWEEP_BATCH);
        String through = batch.size() < SWEEP_BATCH ? "" : batch.get(batch.size() - 1).id(); // through the end: from the first next time
        if (!through.equals(after)) {
            agents.sweptThrough(through); // only then: a sweep that changes nothing writes nothing (a read-only user's reads sweep too)
        }
        for (Agent agent : batch) {
            sweep(tx, agent, staleAfter, goneAfter);
        }
        for (Agent agent : AgentStore.in(tx).workingWithoutProgressSince(now - STALLED_AFTER.in(tx).toMillis())) {
            recordActivity(tx, agent, Agent.Activity.STALLED, agent.progressAt());
        }
    }

    /** Moves one agent along: gone when its process ended or it was silent too long, else stale when silent without a live process. */
    private void sweep(Tx tx, Agent agent, long staleAfter, long goneAfter) {
        ProcessCheck process = processCheck(tx, agent);
        String goneBecause = deathOf(tx, agent, process, goneAfter);
        if (goneBecause != null) {
            markGone(tx, agent, goneBecause);
        } else if (!process.alive() && agent.status() == Agent.Status.ACTIVE && agent.lastSeen() <= tx.now() - staleAfter) {
            AgentStore.in(tx).setAgentStatus(agent.id(), Agent.Status.STALE);
            tx.appendEvent("agent.stale", agent.id(), null, OrderedMap.of("lastSeen", agent.lastSeen()));
        }
    }

    /**
     * The agent after a sweep of it alone, for a decision that must not wait for its turn in the
     * sweep. Only an agent of this host, whose process can be seen here: another host's is judged
     * by the sweep, which leaves it to its host's hub while that hub is seen.
     */
    private Agent checkedNow(Tx tx, Agent agent) {
        if (agent.status() == Agent.Status.GONE || !agent.host().equals(probe.host())) {
            return agent;
        }
        sweep(tx, agent, STALE_AFTER.in(tx).toMillis(), GONE_AFTER.in(tx).toMillis());
        return AgentStore.in(tx).agent(agent.id()).orElseThrow();
    }

    @Override
    public boolean checkNow(Tx tx, Set<String> agentIds) {
        boolean anyGone = false;
        for (String id : agentIds) {
            Optional<Agent> agent = AgentStore.in(tx).agent(id).filter(one -> one.status() != Agent.Status.GONE);
            anyGone |= agent.isPresent() && checkedNow(tx, agent.get()).status() == Agent.Status.GONE;
        }
        return anyGone;
    }

    private String deathOf(Tx tx, Agent agent) {
        ProcessCheck process = processCheck(tx, agent);
        if (process.ended() != null || process.alive() || tx.now() - agent.lastSeen() <= MIN_STALE_AFTER.toMillis()) {
            return process.ended(); // gone-after > stale-after >= 1 s: a recent caller needs no read of the setting
        }
        return deathOf(tx, agent, process, GONE_AFTER.in(tx).toMillis());
    }

    /**
     * Why the agent is gone: its process ended, or, when no live process of it can be seen here, it
     * was silent for the gone threshold; null if alive. A live registered process keeps its agent
     * however long it is silent: an LLM agent may think for many minutes.
     */
    private static String deathOf(Tx tx, Agent agent, ProcessCheck process, long goneAfter) {
        if (process.ended() == null && !process.alive() && agent.lastSeen() <= tx.now() - goneAfter) {
            return "no activity for " + Durations.format(Duration.ofMillis(goneAfter));
        }
        return process.ended();
    }

    /** What the agent's registered process says: alive, ended (why), or nothing (no pid, or a pid on another host). */
    private record ProcessCheck(boolean alive, String ended) {
        static final ProcessCheck UNKNOWN = new ProcessCheck(false, null);
        static final ProcessCheck ALIVE = new ProcessCheck(true, null);

        static ProcessCheck ended(String why) {
            return new ProcessCheck(false, why);
        }
    }

    /** As {@link #processCheck(Agent)}; a supervised process's end is its supervisor's to record: alive until then. */
    private ProcessCheck processCheck(Tx tx, Agent agent) {
        ProcessCheck check = processCheck(agent);
        return check.ended() != null && supervised.test(tx, agent.id()) ? ProcessCheck.ALIVE : check;
    }

    private ProcessCheck processCheck(Agent agent) {
        if (agent.pid() == null || !agent.host().equals(probe.host())) {
            return ProcessCheck.UNKNOWN;
        }
        OptionalLong started = probe.startedAt(agent.pid());
        if (started.isEmpty()) {
            return ProcessCheck.ended("process " + agent.pid() + " exited");
        }
        if (agent.pidStartedAt() != null && !ProcessProbe.sameStart(agent.pidStartedAt(), started.getAsLong())) {
            return ProcessCheck.ended("process " + agent.pid() + " exited (the pid now belongs to another process)");
        }
        return ProcessCheck.ALIVE;
    }

    /**
     * A supervised process (the processes domain) starts as this agent, registered by its spawn at
     * {@code spawnedAt}: active again, with a fresh token for the process's environment. Null when
     * the id names another agent now (registered again after the spawn, once this one was gone).
     */
    public static String startSupervised(Tx tx, String id, long spawnedAt) {
        AgentStore agents = AgentStore.in(tx);
        Optional<Agent> agent = agents.agent(id);
        if (agent.isEmpty() || agent.get().registeredAt() > spawnedAt) {
            return null;
        }
        String token = Tokens.newToken();
        agents.setAgentToken(id, Tokens.hash(token));
        if (agent.get().status() != Agent.Status.ACTIVE) {
            agents.setAgentStatus(id, Agent.Status.ACTIVE);
        }
        agents.touchAgent(id);
        return token;
    }

    /** A supervised agent waiting for its process to start stays active (it cannot call while queued). */
    public static void keepWaiting(Tx tx, String id) {
        AgentStore.in(tx).touchAgent(id);
    }

    /**
     * The supervised agent's process runs (in the pane of {@code binding}, when not null: messages
     * are typed there): from now on the agent lives as long as that process.
     */
    public static void attachProcess(Tx tx, String id, ProcessIdentity process, PaneBinding binding) {
        AgentStore.in(tx).claimedAgent(id).ifPresent(claimed -> {
            Agent a = claimed.agent();
            AgentStore.in(tx).saveAgent(new Agent(a.id(), a.kind(), a.status(), a.label(), binding == null ? null : binding.pane(),
                    binding == null ? null : binding.socket(), binding == null ? null : binding.panePid(),
                    binding == null ? null : binding.panePidStartedAt(), process.pid(), process.startedAt(), process.host(), a.registeredAt(),
                    tx.now(), a.statusSince(), a.claimed(), a.session(), a.activity(), a.activitySince(), a.progressAt()), claimed.tokenHash());
        });
    }

    /**
     * The process of the supervised agent spawned at {@code spawnedAt} ended: it is gone and its
     * leases are released, with the reason (nothing when it is gone already, or when the id names
     * another agent now, registered after the spawn).
     */
    public static void processEnded(Tx tx, String id, long spawnedAt, String reason) {
        AgentStore.in(tx).agent(id).filter(agent -> agent.status() != Agent.Status.GONE && agent.registeredAt() <= spawnedAt)
                .ifPresent(agent -> markGone(tx, agent, reason));
    }

    static void markGone(Tx tx, Agent agent, String reason) {
        List<Lease> released = Leases.forceReleaseAll(tx, agent.id(), "agent gone: " + reason);
        AgentStore.in(tx).setAgentStatus(agent.id(), Agent.Status.GONE);
        tx.appendEvent("agent.gone", agent.id(), null, OrderedMap.of("reason", reason, "released", released.size()));
    }

    private static void checkThresholds(Duration stale, Duration gone) {
        if (stale.compareTo(MIN_STALE_AFTER) < 0 || gone.compareTo(stale) <= 0) {
            throw SwarmException.badInput("need " + Durations.format(MIN_STALE_AFTER) + " <= " + STALE_AFTER.name() + " < " + GONE_AFTER.name());
        }
    }

}
