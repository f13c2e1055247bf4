package dev.swarmhub.cli;

import dev.swarmhub.agents.Agent;
import dev.swarmhub.host.AgentCredentials;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.hub.Exposed;
import dev.swarmhub.hub.Services;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Limits;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.Resource;
import dev.swarmhub.leases.ResourceParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/** The {@code swarm} command line: global options and the entry point. */
@Command(name = "swarm", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = Swarm.Version.class,
        description = "Coordination for AI coding agents sharing one repository: leases on files, globs and named resources, "
                + "messages between agents, a shared task queue, and agent processes the hub supervises.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:anything else failed", "2:bad usage or bad input",
                "3:denied (conflict, not the holder, timed out waiting)",
                "4:unauthenticated (missing or wrong token)"})
public final class Swarm implements Runnable {

    @Option(names = "--root", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Project root (default: $SWARM_ROOT, else the nearest ancestor holding .swarm/ or .git/).")
    String root;

    @Option(names = "--agent", scope = ScopeType.INHERIT, paramLabel = "ID",
            description = "The agent acting (default: $SWARM_AGENT).")
    String agent;

    @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
            description = "The acting agent's token, or the operator's for force operations (default: $SWARM_TOKEN).")
    String token;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print exactly one JSON document on stdout.")
    boolean json;

    // Read by the client (SwarmClient), which runs the command here when given it; declared for help and completion.
    @Option(names = "--no-hub", scope = ScopeType.INHERIT,
            description = "Work on the store directly, without the project's hub (and without starting one).")
    boolean noHub;

    // What one invocation runs with; set before each run of a reused command line.
    private Map<String, String> environment;
    private Path workingDirectory;
    Output output;
    /** The hub's services when this command runs inside the hub; null when it opens the store itself. */
    private Services hubServices;
    private Path foundRoot;
    private static final Map<Path, ResourceParser> PARSERS = new ConcurrentHashMap<>();

    /** The top-level commands declared by their classes, in the order help lists them. */
    static final List<Class<?>> COMMANDS = List.of(LockCommand.class, FenceCommands.Group.class, FenceCommands.Write.class, AgentCommand.class,
            AgentsCommand.class, WhoamiCommand.class, MessageCommands.Send.class, MessageCommands.Broadcast.class, MessageCommands.Reply.class,
            MessageCommands.Inbox.class, MessageCommands.Read.class, MessageCommands.Ack.class, MessageCommands.Thread.class,
            MessageCommands.Search.class, GuardCommand.class, LogCommand.class, ConfigCommand.class, PruneCommand.class, HubCommands.Up.class,
            HubCommands.Down.class, HubCommands.Status.class, CompletionCommand.class, BenchCommand.class, McpCommand.class,
            DashboardCommand.class, TopCommand.class, DemoCommand.class, HooksCommand.class, HookCommand.class, PrimeCommand.class,
            TaskCommand.class, DocCommand.class, ProcessCommands.Group.class, ProcessCommands.Logs.class, WorktreeCommand.class,
            DoctorCommand.class, StoreFileCommands.Backup.class, StoreFileCommands.Restore.class);

    /** Subcommands derived from domain operations, added to the command of that class (one line each where they are written). */
    private static final Map<Class<?>, Consumer<CommandLine>> DERIVED_UNDER = Map.of(
            AgentCommand.class, agent -> agent.addSubcommand(OperationCommand.of(services -> services.agentEndpoints.report, "activity",
                    agentNow -> agentNow.id() + " is " + agentNow.activity().label(), "activity")),
            TaskCommand.class, TaskCommand::addDerived,
            DocCommand.class, DocCommand::addDerived,
            ProcessCommands.Group.class, ProcessCommands::addDerived);

    /** Top-level commands derived from domain operations, listed after the declared ones. */
    private static final Map<String, Supplier<CommandLine.Model.CommandSpec>> DERIVED = derivedCommands();

    private static Map<String, Supplier<CommandLine.Model.CommandSpec>> derivedCommands() {
        Map<String, Supplier<CommandLine.Model.CommandSpec>> derived = new LinkedHashMap<>();
        derived.put("show", () -> OperationCommand.of(services -> services.messageEndpoints.show, "show", MessageCommands::full, "message"));
        derived.put("spawn", () -> OperationCommand.of(s -> s.processEndpoints.spawn, "spawn", ProcessCommands::spawned, "command"));
        derived.put("ps", () -> OperationCommand.of(s -> s.processEndpoints.list, "ps", ProcessCommands::table, "process"));
        derived.put("kill", () -> OperationCommand.of(s -> s.processEndpoints.kill, "kill", ProcessCommands::table, "process"));
        return Collections.unmodifiableMap(derived);
    }

    /** Each top-level command by its names (and aliases). */
    private static final Map<String, Class<?>> NAMED = COMMANDS.stream().flatMap(command -> {
        Command declared = command.getAnnotation(Command.class);
        return Stream.concat(Stream.of(declared.name()), Arrays.stream(declared.aliases())).map(name -> Map.entry(name, command));
    }).collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));

    /** The root's own options, to find the command word after them. */
    private static final CommandLine.Model.CommandSpec ROOT_OPTIONS = new CommandLine(new Swarm()).getCommandSpec();

    /**
     * Command lines ready for reuse, by the command word they were built for ("" for every
     * command). A model of every command costs about 12 ms and 1.4 MB to build (picocli has no
     * lazy subcommands); one of a single command about 0.1 ms, so each concurrent command builds
     * only its own and at most {@link #IDLE_PER_COMMAND} of each are kept after a burst.
     * Picocli resets every option before each parse.
     */
    private static final Map<String, BlockingQueue<CommandLine>> IDLE = new ConcurrentHashMap<>();
    private static final int IDLE_PER_COMMAND = 32;
    static final String EVERY_COMMAND = "";

    /**
     * Where picocli prints help, version and usage errors: set once per command line (setting
     * picocli's writers walks every subcommand), pointed at each run's own writers.
     */
    private final ForwardingWriter helpOut = new ForwardingWriter();
    private final ForwardingWriter helpErr = new ForwardingWriter();

    private static final class ForwardingWriter extends Writer {
        Writer target;

        @Override
        public void write(char[] buffer, int offset, int length) throws IOException {
            target.write(buffer, offset, length);
        }

        @Override
        public void flush() throws IOException {
            target.flush();
        }

        @Override
        public void close() throws IOException {
            target.flush();
        }
    }

    private Swarm() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(args, System.getenv(), Path.of("").toAbsolutePath(), out, err));
    }

    /** Runs one command line on the project's store; returns the exit code. */
    public static int run(String[] args, Map<String, String> environment, Path workingDirectory, PrintWriter out, PrintWriter err) {
        return run(args, environment, workingDirectory, out, err, null);
    }

    /** Runs one command line inside the hub, on its shared services; returns the exit code. */
    public static int run(String[] args, Map<String, String> environment, Path workingDirectory, PrintWriter out, PrintWriter err,
                          Services hubServices) {
        String word = commandWord(args);
        BlockingQueue<CommandLine> idle = IDLE.computeIfAbsent(word, any -> new ArrayBlockingQueue<>(IDLE_PER_COMMAND));
        CommandLine commandLine = idle.poll();
        if (commandLine == null) {
            commandLine = newCommandLine(word);
        }
        Swarm swarm = commandLine.getCommand();
        swarm.environment = environment;
        swarm.workingDirectory = workingDirectory;
        swarm.output = new Output(swarm, out, err);
        swarm.hubServices = hubServices;
        swarm.helpOut.target = out;
        swarm.helpErr.target = err;
        long started = System.nanoTime();
        try {
            return commandLine.execute(args);
        } finally {
            if (hubServices != null) {
                logIfSlow(commandLine, hubServices, started);
            }
            out.flush();
            err.flush();
            swarm.environment = null;
            swarm.output = null;
            swarm.hubServices = null;
            swarm.foundRoot = null;
            idle.offer(commandLine); // dropped when enough are kept
        }
    }

    /**
     * In the hub: a command slower than the setting {@code hub.slow-request} goes into the hub's
     * log at WARN with its duration, named by its command words (never its arguments, which may be
     * a message's text or a token). A command that waits because it asked to (--wait) is not slow.
     */
    private static void logIfSlow(CommandLine commandLine, Services hubServices, long started) {
        long millis = (System.nanoTime() - started) / 1_000_000;
        CommandLine.ParseResult parsed = commandLine.getParseResult();
        if (parsed == null || millis < hubServices.slowRequestThreshold().toMillis()) {
            return;
        }
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        if (!parsed.hasMatchedOption("--wait")) {
            LoggerFactory.getLogger(Swarm.class).warn("slow command: {} took {} ms", parsed.commandSpec().qualifiedName(), millis);
        }
    }

    /** Whether this command runs inside the hub (its log is the hub's). */
    boolean inHub() {
        return hubServices != null;
    }

    /**
     * The top-level command a command line runs, when its model alone can run it: {@link #EVERY_COMMAND}
     * for help, no command, a word that names no command (whose error suggests names) and a root
     * option this cannot read.
     */
    static String commandWord(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-")) {
                return NAMED.containsKey(arg) || DERIVED.containsKey(arg) ? arg : EVERY_COMMAND;
            }
            int equals = arg.indexOf('=');
            CommandLine.Model.OptionSpec option = ROOT_OPTIONS.findOption(equals < 0 ? arg : arg.substring(0, equals));
            if (option == null || option.usageHelp() || option.versionHelp()) {
                return EVERY_COMMAND;
            }
            if (equals < 0 && option.arity().max() > 0) {
                i++; // the option's value
            }
        }
        return EVERY_COMMAND;
    }

    /** A command line of the one top-level command {@code word}, or of every command ({@link #EVERY_COMMAND}). */
    static CommandLine newCommandLine(String word) {
        Swarm swarm = new Swarm();
        CommandLine commandLine = new CommandLine(swarm);
        boolean every = word.equals(EVERY_COMMAND);
        for (Class<?> command : COMMANDS) {
            if (every || NAMED.get(word) == command) {
                commandLine.addSubcommand(command);
                String name = command.getAnnotation(Command.class).name();
                DERIVED_UNDER.getOrDefault(command, added -> { }).accept(commandLine.getSubcommands().get(name));
            }
        }
        DERIVED.forEach((name, spec) -> {
            if (every || name.equals(word)) {
                commandLine.addSubcommand(spec.get());
            }
        });
        if (every) {
            commandLine.addSubcommand(new CommandLine.HelpCommand()); // listed last, after the derived commands
        }
        // the settings below reach every subcommand added before them
        return commandLine
                .setOut(new PrintWriter(swarm.helpOut, true))
                .setErr(new PrintWriter(swarm.helpErr, true))
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((failure, cmd, parsed) -> swarm.output.failure(failure))
                .setParameterExceptionHandler((failure, failedArgs) -> {
                    swarm.json |= Arrays.asList(failedArgs).contains("--json");
                    return swarm.output.failure(SwarmException.badInput(failure.getMessage() + suggestions(failure)), failure.getCommandLine());
                });
    }

    /**
     * Guesses at a misspelled command or option, as a question: the names of the command where it
     * was typed within two edits of it (picocli's own guesses miss transpositions such as --tll).
     */
    static String suggestions(CommandLine.ParameterException failure) {
        if (!(failure instanceof CommandLine.UnmatchedArgumentException unmatched) || unmatched.getUnmatched().isEmpty()) {
            return "";
        }
        String typed = unmatched.getUnmatched().get(0).split("=", 2)[0];
        CommandLine.Model.CommandSpec where = failure.getCommandLine().getCommandSpec();
        List<String> names = typed.startsWith("-")
                ? where.options().stream().flatMap(option -> Arrays.stream(option.names())).toList()
                : List.copyOf(where.subcommands().keySet());
        List<String> close = names.stream().filter(name -> editDistance(typed, name) <= Math.min(2, Math.max(1, typed.length() / 3))).sorted().toList();
        return close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?";
    }

    /** Edits (insert, delete, replace, swap two neighbours) from one word to the other. */
    static int editDistance(String from, String to) {
        int[][] distance = new int[from.length() + 1][to.length() + 1];
        for (int i = 0; i <= from.length(); i++) {
            for (int j = 0; j <= to.length(); j++) {
                if (i == 0 || j == 0) {
                    distance[i][j] = i + j;
                    continue;
                }
                int replace = distance[i - 1][j - 1] + (from.charAt(i - 1) == to.charAt(j - 1) ? 0 : 1);
                distance[i][j] = Math.min(replace, Math.min(distance[i - 1][j], distance[i][j - 1]) + 1);
                if (i > 1 && j > 1 && from.charAt(i - 1) == to.charAt(j - 2) && from.charAt(i - 2) == to.charAt(j - 1)) {
                    distance[i][j] = Math.min(distance[i][j], distance[i - 2][j - 2] + 1);
                }
            }
        }
        return distance[from.length()][to.length()];
    }

    @Override
    public void run() {
        throw SwarmException.badInput("missing command: try swarm --help");
    }

    Path projectRoot() {
        if (foundRoot == null) {
            foundRoot = ProjectRoot.find(root, environment.get("SWARM_ROOT"), workingDirectory);
        }
        return foundRoot;
    }

    CommandServices services() {
        Path root = projectRoot();
        if (hubServices == null) {
            return new CommandServices(Services.open(root), true);
        }
        if (!hubServices.root.equals(root)) {
            throw SwarmException.badInput("this hub serves " + hubServices.root + ", not " + root);
        }
        return new CommandServices(hubServices, false);
    }

    /**
     * Runs a domain operation as HTTP and MCP run it (its answer as it is once committed: a sent
     * message with its typings) and prints it: the operation's one JSON view with --json, else
     * {@code text}.
     */
    <A extends Record, R> int run(Function<CommandServices, Exposed<A, R>> which, Caller caller, A arguments, Function<R, String> text) {
        try (CommandServices services = services()) {
            Exposed<A, R> exposed = which.apply(services);
            R result = exposed.callCommitted(caller, arguments);
            return output.result(exposed.render(arguments, result), text.apply(result));
        }
    }

    /** Runs a domain operation as {@link #run} does and returns its answer, for a command that prints more than the operation's view. */
    <A extends Record, R> R call(Function<CommandServices, Exposed<A, R>> which, Caller caller, A arguments) {
        try (CommandServices services = services()) {
            return which.apply(services).callCommitted(caller, arguments);
        }
    }

    String environment(String name) {
        return environment.get(name);
    }

    /** A file the user names, relative to the command's working directory. */
    Path fileNamed(String given) {
        return workingDirectory.resolve(given).toAbsolutePath().normalize();
    }

    /**
     * Resources as the user typed them, for the domain, which reads paths relative to the project
     * root: typed inside the project, a relative path is relative to the working directory (as git
     * reads it: {@code cd src/auth && swarm lock acquire jwt.py} leases src/auth/jwt.py). Names,
     * tasks, absolute paths and paths typed outside the project pass as they are.
     */
    List<String> resourcesTyped(List<String> typed) {
        return typed == null ? null : typed.stream().map(this::resourceTyped).toList();
    }

    /** One resource as {@link #resourcesTyped} reads it. */
    String resourceTyped(String typed) {
        if (typed == null || typed.isEmpty() || typed.startsWith("/") || typed.startsWith(Resource.NAME_PREFIX) || typed.startsWith(Resource.TASK_PREFIX)) {
            return typed;
        }
        Path root = projectRoot();
        Path here = workingDirectory.toAbsolutePath().normalize();
        return here.startsWith(root) && !here.equals(root) ? root.relativize(here) + "/" + typed : typed;
    }

    /** Parsers keep the root's real path, which costs file-system calls to find: one per root. */
    ResourceParser resourceParser() {
        return PARSERS.computeIfAbsent(projectRoot(), ResourceParser::new);
    }

    /** The tmux server the caller means: {@code explicit}, else its terminal's, SWARM_TMUX_SOCKET or its default one. */
    String tmuxSocket(String explicit) {
        return Tmux.socketPath(explicit, environment, workingDirectory);
    }

    /** The process that ran this command: the client that sent it to the hub, or this process. */
    long callerPid() {
        if (hubServices == null) {
            return ProcessHandle.current().pid();
        }
        try {
            return Long.parseLong(environment.getOrDefault(SwarmClient.CLIENT_PID, ""));
        } catch (NumberFormatException unknown) {
            return -1; // an older client: no process can be told apart as the caller
        }
    }

    /** How far up its process tree a command looks for the agent it runs for. */
    private static final int MAX_LINEAGE = 64;

    /** The acting agent from --agent or SWARM_AGENT; null when neither is set. */
    String agentOrNull() {
        return agent != null ? agent : environment.get("SWARM_AGENT");
    }

    String tokenOrNull() {
        return token != null ? token : environment.get("SWARM_TOKEN");
    }

    /**
     * The acting agent with its token; the store checks both inside the operation's transaction.
     * Without a token, the agent whose registered process runs this command (it, or one of its
     * ancestors: a tool call of the agent), with the token kept for it in .swarm/agents/; a named
     * agent (--agent, SWARM_AGENT) must be that one.
     */
    Caller agentCaller() {
        String named = agentOrNull();
        if (tokenOrNull() == null) {
            Optional<Agent> own = ownAgent().filter(agent -> named == null || named.equals(agent.id()));
            Optional<String> kept = own.flatMap(agent -> AgentCredentials.read(projectRoot(), agent.id()));
            if (kept.isPresent()) {
                return Caller.ofAgent(own.get().id(), kept.get());
            }
        }
        return Caller.ofAgent(named, tokenOrNull());
    }

    /** The live agent of this host whose registered process is the caller's process or its nearest such ancestor. */
    Optional<Agent> ownAgent() {
        List<Long> lineage = new ArrayList<>();
        for (Optional<ProcessHandle> process = ProcessHandle.of(callerPid()); process.isPresent() && lineage.size() < MAX_LINEAGE;
                process = process.get().parent()) {
            lineage.add(process.get().pid());
        }
        if (lineage.isEmpty()) {
            return Optional.empty();
        }
        try (CommandServices services = services()) {
            return services.agents.ofProcessLineage(lineage);
        }
    }

    /** The acting agent with its token, refused before anything runs when no agent is given (the store checks the token). */
    Caller actingAgent() {
        Caller caller = agentCaller();
        if (caller.agent() == null || caller.agent().isEmpty()) {
            throw SwarmException.unauthenticated("no agent given", SwarmException.Missing.AGENT); // Output adds how to give one
        }
        Limits.agentId(caller.agent());
        return caller;
    }

    /** Who reads messages: the acting agent, or, with no agent given and the operator's token, the operator (its inbox). */
    Caller readerCaller() {
        if (agentOrNull() == null && tokenOrNull() != null && OperatorToken.matches(projectRoot(), tokenOrNull())) {
            return Caller.ofOperator();
        }
        return agentCaller();
    }

    /**
     * The operator, when this runs as the operator: with the operator's token, or with no token in
     * a shell that is no agent's (none named by --agent or SWARM_AGENT, and no registered agent's
     * process above this one: an agent's tool calls run as the agent). A guard against mistakes, not
     * a boundary: an agent runs as the same user, who can read .swarm/operator.token.
     */
    Optional<Caller> localOperator() {
        boolean operator = tokenOrNull() != null ? OperatorToken.matches(projectRoot(), tokenOrNull())
                : (agentOrNull() == null || agentOrNull().isBlank()) && ownAgent().isEmpty();
        return operator ? Optional.of(Caller.ofOperator()) : Optional.empty();
    }

    /** The operator, after checking the token against .swarm/operator.token. */
    Caller operatorCaller() {
        if (!OperatorToken.matches(projectRoot(), tokenOrNull())) {
            throw SwarmException.unauthenticated("this needs the operator token: SWARM_TOKEN=$(cat "
                    + OperatorToken.file(projectRoot()) + ") or --token");
        }
        return Caller.ofOperator();
    }

    /** A shell command line that runs this CLI again, for the git hook. */
    String selfCommand() {
        String launcher = environment.get("SWARM_LAUNCHER");
        if (launcher != null && !launcher.isBlank()) {
            return shellQuote(launcher);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        return shellQuote(java) + " -cp " + shellQuote(System.getProperty("java.class.path")) + " " + Swarm.class.getName();
    }

    static String shellQuote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Swarm.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"swarm " + properties.getProperty("version", "unknown")};
        }
    }
}
