package dev.swarmhub.cli;

import dev.swarmhub.host.ClientHookFiles;
import dev.swarmhub.host.GitGuard;
import dev.swarmhub.host.OperatorToken;
import dev.swarmhub.host.Tmux;
import dev.swarmhub.hub.Hub;
import dev.swarmhub.hub.HubFiles;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.ResourceParser;
import dev.swarmhub.store.PrivateFiles;
import dev.swarmhub.store.SqliteFiles;
import dev.swarmhub.store.StoreInspection;
import dev.swarmhub.store.Stores;
import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code swarm doctor}: looks at what keeps a project working over months (the store, the
 * private files' modes, the hub, tmux, the hooks) and says what to do about each problem. It runs
 * in the client, starts no hub and changes nothing (only --fix, and only modes): it opens no
 * store the way commands do, since that creates, migrates and tightens.
 */
@ClientSide.RunsInClient
@Command(name = "doctor", description = {"Check the project's store, private files, hub, tmux and hooks, saying what to do about each problem.",
        "Changes nothing (--fix: only the modes of .swarm/), starts no hub, and works while none runs."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no check failed (warnings do not fail)", "1:a check failed", "2:bad usage"})
final class DoctorCommand implements Callable<Integer> {

    /** A write-ahead log this large means checkpoints are not keeping up (SQLite folds it in every 4 MB or so). */
    static final long LARGE_WAL_BYTES = 64L * 1024 * 1024;
    /** How long the hub's HTTP server may take to answer the doctor. */
    private static final int HTTP_TIMEOUT_MS = 3_000;
    /** Paths named in one finding at most: the advice is the same for the rest. */
    private static final int MOST_PATHS_NAMED = 10;

    @ParentCommand
    Swarm swarm;

    @Option(names = "--full", description = "Run SQLite's integrity_check (every index against its table) instead of the faster quick_check.")
    boolean full;

    @Option(names = "--fix", description = "Make what in .swarm/ others may read private again (directories 0700, files 0600); nothing else.")
    boolean fix;

    enum Status {
        OK, WARNING, FAILED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One check's finding: what was looked at, how it is, what was found, and what to do (empty when nothing). */
    record Finding(String check, String status, String detail, String advice) {
        static Finding of(String check, Status status, String detail, String advice) {
            return new Finding(check, status.label(), detail, advice);
        }

        static Finding ok(String check, String detail) {
            return of(check, Status.OK, detail, "");
        }

        boolean failed() {
            return status.equals(Status.FAILED.label());
        }
    }

    @Override
    public Integer call() {
        Path root = swarm.projectRoot();
        List<Finding> findings = new ArrayList<>();
        findings.addAll(store(root));
        findings.add(privateFiles(root));
        findings.add(hub(root));
        findings.add(tmux());
        for (ClientHookFiles.Client client : ClientHookFiles.CLIENTS) {
            findings.add(hooks(root, client));
        }
        findings.add(commitGuard(root));
        long failed = findings.stream().filter(Finding::failed).count();
        long warnings = findings.stream().filter(finding -> finding.status().equals(Status.WARNING.label())).count();
        String summary = failed > 0 ? failed + " check(s) failed" + (warnings > 0 ? ", " + warnings + " warning(s)" : "")
                : warnings > 0 ? "no check failed; " + warnings + " warning(s)" : "all checks passed";
        String text = findings.stream().map(DoctorCommand::line).collect(Collectors.joining("\n")) + "\n" + summary;
        swarm.output.result(Output.document("root", root.toString(), "healthy", failed == 0, "checks", findings), text);
        return failed > 0 ? 1 : 0;
    }

    private static String line(Finding finding) {
        return String.format(Locale.ROOT, "%-8s %-15s %s%s", finding.status(), finding.check(), finding.detail(),
                finding.advice().isEmpty() ? "" : "\n" + " ".repeat(25) + "-> " + finding.advice());
    }

    /** The store: SQLite's own check, its schema against this code's, its log's size; PostgreSQL: reachable, its schema. */
    private List<Finding> store(Path root) {
        Stores.Config config = Stores.Config.of(root, System.getenv()); // as Services.open reads it
        Optional<Path> file;
        try {
            file = Stores.sqliteFile(root, config);
        } catch (SwarmException unknown) {
            return List.of(Finding.of("store", Status.FAILED, unknown.getMessage(), "fix store in " + root.resolve(".swarm").resolve(Stores.CONFIG_FILE)
                    + " or SWARM_STORE (swarm up --store sqlite|postgresql://…)"));
        }
        if (file.isPresent() && !Files.exists(file.get())) {
            return List.of(Finding.of("store", Status.WARNING, "no store yet at " + file.get(), "it is made by the first command that needs it"
                    + " (swarm status makes it now)"));
        }
        StoreInspection inspection;
        try {
            inspection = file.isPresent() ? SqliteFiles.inspect(file.get(), full) : Stores.inspectPostgres(config);
        } catch (SwarmException unreachable) {
            return List.of(Finding.of("store", Status.FAILED, unreachable.getMessage(), "check that the database server runs and that the address,"
                    + " user and password (store.password-file, PGPASSWORD) are right"));
        }
        List<Finding> findings = new ArrayList<>();
        if (file.isEmpty()) {
            findings.add(Finding.ok("store", "PostgreSQL at " + inspection.location() + " answers"));
        } else if (inspection.intact()) {
            findings.add(Finding.ok("store", inspection.location() + " passes SQLite's " + (full ? "integrity_check" : "quick_check")));
        } else {
            findings.add(Finding.of("store", Status.FAILED, inspection.location() + " is damaged: " + String.join("; ", inspection.problems()),
                    "stop the hub (swarm down), then swarm restore BACKUP (it keeps the damaged file beside the store);"
                            + " swarm doctor --full lists more"));
            return findings; // the schema of a damaged file says nothing
        }
        findings.add(schema(inspection));
        if (file.isPresent()) {
            findings.add(inspection.walBytes() > LARGE_WAL_BYTES
                    ? Finding.of("store log", Status.WARNING, "the write-ahead log " + SqliteFiles.wal(file.get()) + " holds " + megabytes(inspection.walBytes()),
                    "a long read keeps SQLite from folding it in; it shrinks once every process has closed the store (swarm down, then any command)")
                    : Finding.ok("store log", "write-ahead log " + megabytes(inspection.walBytes())));
        }
        return findings;
    }

    private static Finding schema(StoreInspection inspection) {
        String ours = inspection.codeSchemaVersion();
        return switch (inspection.schema()) {
            case CURRENT -> Finding.ok("store schema", "version " + ours + ", this swarm's");
            case BEHIND -> Finding.of("store schema", Status.WARNING, "version " + inspection.schemaVersion().orElseThrow() + ", older than this swarm's " + ours,
                    "the next command that opens the store migrates it");
            case NEWER -> Finding.of("store schema", Status.FAILED, "version " + inspection.schemaVersion().orElseThrow() + ", newer than this swarm's " + ours,
                    "upgrade swarm: this version refuses to open the store");
            case NONE -> Finding.of("store schema", Status.FAILED, "no schema history: not a Swarmhub store",
                    "move it away (the next command makes an empty store) or swarm restore BACKUP");
        };
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1024.0 / 1024.0);
    }

    /** .swarm/ holds tokens, the store and every message: nobody but its owner may read any of it. */
    private Finding privateFiles(Path root) {
        Path directory = root.resolve(".swarm");
        if (!Files.isDirectory(directory)) {
            return Finding.ok("private files", "no " + directory + " yet");
        }
        List<Path> loose;
        List<String> named = new ArrayList<>();
        try {
            loose = PrivateFiles.notPrivate(directory, root.resolve(ResourceParser.WORKTREES));
            for (Path path : loose.subList(0, Math.min(loose.size(), MOST_PATHS_NAMED))) {
                named.add(root.relativize(path) + " " + PrivateFiles.mode(path));
            }
            if (fix) {
                for (Path path : loose) {
                    PrivateFiles.makePrivate(path);
                }
            }
        } catch (IOException e) {
            return Finding.of("private files", Status.FAILED, "cannot look at the modes under " + directory + ": " + e.getMessage(),
                    "check that " + directory + " belongs to " + System.getProperty("user.name"));
        }
        if (loose.isEmpty()) {
            return Finding.ok("private files", directory + " and its files are private (0700, 0600)");
        }
        String list = String.join(", ", named) + (loose.size() > named.size() ? " and " + (loose.size() - named.size()) + " more" : "");
        if (fix) {
            return Finding.ok("private files", "made private again: " + list);
        }
        boolean directories = loose.stream().anyMatch(Files::isDirectory);
        return Finding.of("private files", Status.FAILED, "others may read: " + list, "swarm doctor --fix, or chmod go-rwx on them ("
                + (directories ? "directories 700, " : "") + "files 600)");
    }

    /** Is a hub serving the project: its process alive (the lock file names it), its socket and its HTTP server answering. */
    private Finding hub(Path root) {
        Optional<Hub.Running> running = Hub.running(root);
        if (running.isEmpty()) {
            return Finding.of("hub", Status.WARNING, "no hub serves " + root, "the next swarm command starts one (swarm up -d starts one now)");
        }
        long pid = running.get().pid();
        String stuck = "it may still be starting, or be paused (kill -CONT " + pid + ") or hung (swarm down; kill -9 " + pid + " if that fails)";
        if (!SwarmClient.accepts(root)) {
            return Finding.of("hub", Status.FAILED, "hub pid " + pid + " runs but its socket " + HubFiles.socket(root) + " does not accept", stuck);
        }
        Object url = Hub.readInfo(root).get("url");
        if (!(url instanceof String address)) {
            return Finding.of("hub", Status.FAILED, "hub pid " + pid + " answers on its socket but " + HubFiles.info(root) + " names no address",
                    "swarm down, then swarm up -d");
        }
        try {
            int status = httpStatus(address + "/openapi.json", root);
            return Finding.ok("hub", "pid " + pid + " answers on " + HubFiles.socket(root) + " and " + address + " (HTTP " + status + ")");
        } catch (IOException e) {
            return Finding.of("hub", Status.FAILED, "hub pid " + pid + " answers on its socket but not at " + address + ": " + e.getMessage(), stuck);
        }
    }

    /** The status of a GET, with the operator's token when there is one (else the answer is 401: still an answer, but a refusal the hub logs). */
    private static int httpStatus(String url, Path root) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
        try {
            connection.setConnectTimeout(HTTP_TIMEOUT_MS);
            connection.setReadTimeout(HTTP_TIMEOUT_MS);
            Path token = OperatorToken.file(root);
            if (Files.isRegularFile(token)) {
                connection.setRequestProperty("Authorization", "Bearer " + Files.readString(token, StandardCharsets.UTF_8).strip());
            }
            return connection.getResponseCode();
        } finally {
            connection.disconnect();
        }
    }

    /** tmux carries messages into agents' panes; without it agents read their inbox (hooks, MCP), so its absence only warns. */
    private Finding tmux() {
        String path = System.getenv().getOrDefault("PATH", ""); // the PATH tmux is started with, by this process and the hub it starts
        boolean onPath = List.of(path.split(File.pathSeparator)).stream().filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "tmux")));
        if (!onPath) {
            return Finding.of("tmux", Status.WARNING, "tmux is not on PATH", "install tmux for messages typed into agents' panes;"
                    + " without it agents read their inbox (swarm hooks install, MCP)");
        }
        String socket = swarm.tmuxSocket(null);
        Optional<List<Tmux.Pane>> panes = new Tmux(socket).panes();
        return panes.isPresent() ? Finding.ok("tmux", "server " + socket + " answers (" + panes.get().size() + " pane(s))")
                : Finding.of("tmux", Status.WARNING, "no tmux server answers at " + socket,
                "start agents inside tmux for typed messages (or set SWARM_TMUX_SOCKET to the server they use)");
    }

    /**
     * A client's hooks as swarm hooks install writes them: none is a warning (the project may not
     * use that client); some events without them is a failure (a hand edit lost them).
     */
    private static Finding hooks(Path root, ClientHookFiles.Client client) {
        String check = "hooks " + client.name();
        String install = "swarm hooks install --client " + client.name();
        List<String> missing;
        try {
            missing = ClientHookFiles.missingEvents(root, client);
        } catch (SwarmException unreadable) {
            return Finding.of(check, Status.FAILED, unreadable.getMessage(), "fix the file, then " + install);
        }
        if (missing.isEmpty()) {
            return Finding.ok(check, "installed in " + root.resolve(client.file()));
        }
        if (missing.size() == client.events().size()) {
            return Finding.of(check, Status.WARNING, "not installed in " + root.resolve(client.file()), install + " (if agents here use " + client.name() + ")");
        }
        return Finding.of(check, Status.FAILED, "missing for " + String.join(", ", missing) + " in " + root.resolve(client.file()), install + " puts them back");
    }

    /** The git pre-commit guard: absent is a warning; present but not executable is a failure (git skips such a hook in silence). */
    private static Finding commitGuard(Path root) {
        GitGuard guard = new GitGuard(root);
        GitGuard.State state;
        Path hook;
        try {
            state = guard.status();
            hook = guard.hook();
        } catch (SwarmException noGit) {
            return noGit.kind() == SwarmException.Kind.BAD_INPUT ? Finding.ok("commit guard", "not a git repository: no commits to guard")
                    : Finding.of("commit guard", Status.WARNING, noGit.getMessage(), "install git to guard commits");
        }
        return switch (state) {
            case INSTALLED -> Files.isExecutable(hook) ? Finding.ok("commit guard", "installed at " + hook)
                    : Finding.of("commit guard", Status.FAILED, hook + " is not executable: git skips it", "chmod +x " + Swarm.shellQuote(hook.toString()));
            case NOT_INSTALLED -> Finding.of("commit guard", Status.WARNING, "not installed", "swarm guard install");
            case OTHER_HOOK -> Finding.of("commit guard", Status.WARNING, "another pre-commit hook is at " + hook, "swarm guard install (it keeps that hook and runs it first)");
        };
    }
}
