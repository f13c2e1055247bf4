package dev.swarmhub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.hub.JsonViews;
import dev.swarmhub.hub.MessageEndpoints;
import dev.swarmhub.hub.Services;
import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.LeaseOperations;
import dev.swarmhub.leases.Mode;
import dev.swarmhub.messages.MessageOperations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Commands derived from an operation's argument record: options, help, binding as HTTP binds, and the shared view. */
class OperationCommandTest {

    @TempDir
    Path project;

    private static Record parsed(CommandSpec spec, String... args) {
        new CommandLine(spec).parseArgs(args);
        return ((OperationCommand<?, ?>) spec.userObject()).arguments();
    }

    @Test
    void everyArgumentIsAnOptionDescribedByItsDoc() {
        CommandSpec acquire = OperationCommand.of(services -> services.leaseEndpoints.acquire, "acquire");
        String help = new CommandLine(acquire).getUsageMessage();
        assertThat(help).contains("Lease files, globs or name:X resources, all or none; re-acquiring renews.",
                "--resources=RESOURCES", "Paths, globs (src/**/*.py) or name:NAME; all or none",
                "--mode=MODE", "Default exclusive (one of exclusive, shared)",
                "--ttl=TTL", "Lease time, 1s to 24h (default 5m) (e.g. 5m)",
                "--reason=REASON", "--wait=WAIT", "Wait up to this long, queued in order (e.g. 30s)");
        assertThat(acquire.findOption("--resources").required()).isTrue();
        assertThat(acquire.findOption("--ttl").required()).isFalse();
        assertThat(acquire.findOption("--mode").completionCandidates()).containsExactly("exclusive", "shared");
    }

    @Test
    void valuesAreBoundAsHttpBindsThem() {
        CommandSpec acquire = OperationCommand.of(services -> services.leaseEndpoints.acquire, "acquire");
        assertThat(parsed(acquire, "--resources", "src/a.py,src/b.py", "--resources", "name:build", "--mode", "shared", "--ttl", "2m",
                "--wait", "30s", "--reason", "why")).isEqualTo(new LeaseOperations.Acquire(List.of("src/a.py", "src/b.py", "name:build"),
                Mode.SHARED, Duration.ofMinutes(2), "why", Duration.ofSeconds(30)));
        assertThat(parsed(acquire, "--resources", "src/a.py")).as("a reused command line keeps no value of the run before")
                .isEqualTo(new LeaseOperations.Acquire(List.of("src/a.py"), null, null, null, null));

        CommandSpec renew = OperationCommand.of(services -> services.leaseEndpoints.renew, "renew");
        assertThat(renew.findOption("--all").arity().max()).as("a Boolean is a flag").isZero();
        assertThat(parsed(renew, "--all")).isEqualTo(new LeaseOperations.Renew(null, true, null));

        CommandSpec show = OperationCommand.of(services -> services.messageEndpoints.show, "show", "message");
        assertThat(show.positionalParameters()).singleElement().satisfies(parameter -> assertThat(parameter.paramLabel()).isEqualTo("MESSAGE"));
        assertThat(parsed(show, "01ABCDEF")).isEqualTo(new MessageOperations.One("01ABCDEF"));
    }

    @Test
    void badValuesAreRefusedNamingTheOptionAsTyped() {
        CommandSpec acquire = OperationCommand.of(services -> services.leaseEndpoints.acquire, "acquire");
        assertThatThrownBy(() -> parsed(acquire, "--resources", "src/a.py", "--ttl", "soon")).isInstanceOf(SwarmException.class)
                .hasMessageStartingWith("option '--ttl': bad duration 'soon'");
        assertThatThrownBy(() -> parsed(acquire, "--resources", "src/a.py", "--mode", "sometimes"))
                .hasMessageStartingWith("option '--mode': unknown lease mode 'sometimes'");
        assertThatThrownBy(() -> parsed(acquire, "--ttl", "5m")).isInstanceOf(CommandLine.MissingParameterException.class)
                .hasMessageContaining("--resources");

        CommandSpec search = OperationCommand.of(services -> services.messageEndpoints.search, "search");
        assertThatThrownBy(() -> parsed(search, "--query", "x", "--limit", "0"))
                .hasMessage("option '--limit' must be a positive whole number, not 0");
        assertThatThrownBy(() -> parsed(search, "--query", "x", "--limit", "many"))
                .hasMessage("wrong type for option '--limit': expected a whole number");
        assertThat(parsed(search, "--query", "x", "--limit", "5")).isEqualTo(new MessageOperations.Search("x", 5));

        assertThatThrownBy(() -> OperationCommand.of(services -> services.messageEndpoints.show, "show", "msg"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("message.show has no argument 'msg'");
    }

    @Test
    void showAnswersWithTheViewHttpAnswersWith() {
        CliRunner cli = new CliRunner(project);
        Map<String, String> alice = cli.register("alice");
        Map<String, String> bob = cli.register("bob");
        String id = cli.run(alice, "send", "bob", "INFO", "hello there", "--json").json().get("id").asString();

        CliRunner.Result json = cli.run(bob, "show", id, "--json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        try (Services services = Services.open(project)) {
            MessageEndpoints endpoints = new MessageEndpoints(services.messageOperations, services);
            MessageOperations.One one = new MessageOperations.One(id);
            Object http = endpoints.show.render(one, endpoints.show.operation().run(Caller.ofAgent("bob", bob.get("SWARM_TOKEN")), one));
            assertThat(json.json()).isEqualTo(JsonViews.JSON.readTree(JsonViews.json(http)));
        }

        CliRunner.Result text = cli.run(bob, "show", id.substring(0, 10));
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).startsWith("INFO " + id + " from alice").contains("hello there");
        assertThat(cli.run(bob, "inbox").out()).as("show does not mark it read").contains(" new ");

        CliRunner.Result missing = cli.run(bob, "show");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("MESSAGE", "swarm show --help");
        assertThat(cli.run("show", "--help").out()).contains("Show a message (not marking it read).", "Message id or unique prefix.");
    }

    @Test
    void theDefaultTextIsTheViewIndented() {
        assertThat(OperationCommand.text(JsonViews.JSON.readTree("{\"a\":1,\"b\":null,\"c\":[{\"x\":\"y\",\"z\":[\"p\",\"q\"]},{}],\"d\":[]}")))
                .isEqualTo("""
                        a: 1
                        c:
                          - x: y
                            z:
                              - p
                              - q
                          - {}
                        d: (none)
                        """);
    }
}
