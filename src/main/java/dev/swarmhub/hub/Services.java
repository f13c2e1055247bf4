package dev.swarmhub.hub;

import dev.swarmhub.agents.AgentOperations;
import dev.swarmhub.agents.Agents;
import dev.swarmhub.host.FencedFiles;
import dev.swarmhub.host.LocalProcesses;
import dev.swarmhub.host.MessageSecret;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.kernel.EventLog;
import dev.swarmhub.kernel.LogOperations;
import dev.swarmhub.kernel.Retention;
import dev.swarmhub.kernel.Setting;
import dev.swarmhub.kernel.Settings;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.Sweep;
import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.leases.Leases;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.logins.Logins;
import dev.swarmhub.messages.Message;
import dev.swarmhub.messages.MessageOperations;
import dev.swarmhub.messages.MessageRetries;
import dev.swarmhub.messages.MessageSignature;
import dev.swarmhub.messages.Messages;
import dev.swarmhub.messages.PaneTypings;
import dev.swarmhub.plan.Plan;
import dev.swarmhub.plan.PlanOperations;
import dev.swarmhub.processes.ProcessOperations;
import dev.swarmhub.processes.Processes;
import dev.swarmhub.store.Stores;
import dev.swarmhub.tasks.TaskOperations;
import dev.swarmhub.tasks.Tasks;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A project's domain services wired over its store: one instance per hub (shared by every
 * request), or one per command when the CLI works on the store directly.
 */
public final class Services implements AutoCloseable {

    public final Path root;
    public final Store store;
    public final Agents agents;
    public final AgentOperations agentOperations;
    public final Leases leases;
    /** Fenced writes; the API holds a file here before an Idempotency-Key's write of it. */
    final Fencing fencing;
    public final LeaseOperations leaseOperations;
    public final EventLog log;
    public final LogOperations logOperations;
    public final Settings settings;
    public final Messages messages;
    public final MessageOperations messageOperations;
    public final MessageRetries messageRetries;
    public final PaneTypings paneTypings;
    public final Tasks tasks;
    public final Processes processes;
    public final Plan plan;
    public final Logins logins;
    public final Retention retention;
    /** The hub of this checkout among those sharing the store: its host and the checkout's real path. */
    public final String hubScope;
    /** What the hub's timer runs every second, as each domain declares it. */
    public final List<Sweep> sweeps;
    /** The operations with their views, built once and shared by HTTP, MCP and the CLI. */
    public final LeaseEndpoints leaseEndpoints;
    public final MessageEndpoints messageEndpoints;
    public final AgentEndpoints agentEndpoints;
    public final LogEndpoints logEndpoints;
    public final TaskEndpoints taskEndpoints;
    public final ProcessEndpoints processEndpoints;
    public final PlanEndpoints planEndpoints;
    /** The hub's typist when this process is a hub (null otherwise: nobody here types, so nobody waits). */
    private volatile PaneTypist typist;
    /** {@link RequestLog#SLOW_REQUEST} as last read, and when (nanoTime): read at most once a second, not per request. */
    private volatile Duration slowRequest;
    private volatile long slowRequestReadAt;
    private static final long SETTING_FRESH_NANOS = 1_000_000_000L;

    /** Over a store already open (tests give theirs a clock of their own); {@link #open} is how a project opens its own. */
    Services(Path root, Store store) {
        this.root = root;
        this.store = store;
        LocalProcesses thisHost = new LocalProcesses();
        this.agents = new Agents(store, thisHost);
        this.agentOperations = new AgentOperations(agents);
        this.leases = new Leases(store, agents, thisHost);
        this.fencing = new Fencing(store, agents, new FencedFiles(root));
        this.leaseOperations = new LeaseOperations(leases, fencing, new ResourceParser(root));
        this.log = new EventLog(store);
        this.logOperations = new LogOperations(log);
        this.settings = new Settings(store, agents, Stream.<List<Setting<?>>>of(Agents.SETTINGS, Messages.SETTINGS, Tasks.SETTINGS, Processes.SETTINGS, Plan.SETTINGS, Logins.SETTINGS, Retention.SETTINGS,
                        List.of(EventStream.STREAMS_PER_TOKEN, RequestLog.SLOW_REQUEST, Hub.IDLE_EXIT, ProcessSupervisor.LOG_MAX_MB, ProcessSupervisor.OUTPUT_RATE))
                .flatMap(List::stream).toList());
        MessageSignature signature = new MessageSignature(signingSecret(store, root));
        this.messages = new Messages(store, agents, signature);
        this.messageRetries = new MessageRetries(store, agents, signature, messages);
        this.paneTypings = new PaneTypings(store, signature);
        this.messageOperations = new MessageOperations(messages);
        this.tasks = new Tasks(store, agents);
        this.processes = new Processes(store, agents, tasks, thisHost);
        this.plan = new Plan(store, agents);
        this.hubScope = thisHost.host() + ":" + realPath(root); // this checkout's hub, however its path is written
        this.logins = new Logins(store, hubScope);
        this.retention = new Retention(store, List.of(Messages.PRUNING, Agents.PRUNING, Retention.EVENTS));
        this.sweeps = List.of(agents.presence(hubScope), leases.housekeeping, messageRetries.housekeeping, tasks.housekeeping, this.processes.housekeeping,
                IdempotentAnswers.housekeeping(store), logins.housekeeping, retention.sweep(() -> PruneArchive.appendingTo(PruneArchive.ofHub(root))));
        this.leaseEndpoints = new LeaseEndpoints(leaseOperations);
        this.messageEndpoints = new MessageEndpoints(messageOperations, this);
        this.agentEndpoints = new AgentEndpoints(agentOperations);
        this.logEndpoints = new LogEndpoints(logOperations);
        this.taskEndpoints = new TaskEndpoints(new TaskOperations(tasks));
        this.processEndpoints = new ProcessEndpoints(new ProcessOperations(this.processes));
        this.planEndpoints = new PlanEndpoints(new PlanOperations(plan));
    }

    /** The setting that holds the message-signing secret (hex); no command shows or sets it. */
    static final String SIGNING_SECRET = "messages.signing-secret";

    /**
     * The message-signing secret, the same for every process and every hub of the store: read
     * from it, or made once in a write (taking an older project's .swarm/secret when there is one).
     */
    private static byte[] signingSecret(Store store, Path root) {
        String hex = store.read(tx -> tx.setting(SIGNING_SECRET)).orElseGet(() -> store.write(tx -> tx.setting(SIGNING_SECRET).orElseGet(() -> {
            String made = MessageSecret.kept(root).orElseGet(MessageSecret::generate);
            tx.putSetting(SIGNING_SECRET, made);
            return made;
        })));
        return HexFormat.of().parseHex(hex);
    }

    private static Path realPath(Path root) {
        try {
            return root.toRealPath();
        } catch (IOException gone) {
            return root.toAbsolutePath().normalize();
        }
    }

    /** Opens the project's store ({@link Stores}); on first use this also creates .swarm/operator.token. */
    public static Services open(Path projectRoot) {
        Store store = Stores.open(projectRoot, Stores.Config.of(projectRoot, System.getenv()));
        OperatorToken.readOrCreate(projectRoot);
        return new Services(projectRoot, store);
    }

    void typeWith(PaneTypist typist) {
        this.typist = typist;
    }

    /**
     * The sent message with what this process's typist did with it: each of its typings into a
     * pane on this host, or "queued" when it takes longer than {@link PaneTypist#TYPING_WAIT}.
     * Called by every adapter after the send committed (and after an idempotent answer was
     * stored): a wait inside the send's transaction would hold the store's write lock and could
     * never see the typing. Without a typist in this process (--no-hub) it returns at once.
     */
    public Message withTypings(Message sent) {
        PaneTypist here = typist;
        return here == null ? sent : here.awaitOutcomes(sent);
    }

    /**
     * From how long a request or a command through the hub is logged as slow (the setting
     * {@code hub.slow-request}, default 1 s), read from the store at most once a second.
     */
    public Duration slowRequestThreshold() {
        Duration known = slowRequest;
        long now = System.nanoTime();
        if (known == null || now - slowRequestReadAt > SETTING_FRESH_NANOS) {
            try {
                known = settings.value(RequestLog.SLOW_REQUEST);
            } catch (RuntimeException unreadable) {
                known = known == null ? RequestLog.SLOW_REQUEST.defaultValue() : known; // a busy or closing store: keep what was known
            }
            slowRequest = known;
            slowRequestReadAt = now;
        }
        return known;
    }

    @Override
    public void close() {
        store.close();
    }
}
