package dev.swarmhub.cli;

import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.leases.LeaseOperations;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Fencing tokens where the write happens: {@code swarm fence check} for scripts, {@code swarm write} for files. */
final class FenceCommands {

    private FenceCommands() {
    }

    @Command(name = "fence", description = "Fencing tokens, for scripts that guard their own resources.", subcommands = Check.class)
    static final class Group {
        @ParentCommand
        Swarm swarm;
    }

    @Command(name = "check", description = "Exit 0 if TOKEN is the fencing token of a live lease covering RESOURCE, 3 otherwise.")
    static final class Check implements Callable<Integer> {
        @ParentCommand
        Group fence;

        @Parameters(index = "0", paramLabel = "RESOURCE", description = "A path, name:NAME, or a glob exactly as leased.")
        String resource;

        @Parameters(index = "1", paramLabel = "TOKEN", description = "The fencing token.")
        long token;

        @Override
        public Integer call() {
            return fence.swarm.run(services -> services.leaseEndpoints.fenceCheck, fence.swarm.agentCaller(),
                    new LeaseOperations.FenceCheck(fence.swarm.resourceTyped(resource), token),
                    lease -> "valid: token " + lease.token() + " is " + lease.agent() + "'s lease on " + lease.resource());
        }
    }

    /**
     * Runs in the client: it reads the content from the client's standard input or a file of the
     * client's, and writes a file of the client's checkout.
     */
    @ClientSide.RunsInClient
    @Command(name = "write", description = "Write a file only if TOKEN is still the fencing token of your lease covering it "
            + "(checked in the transaction that puts the file in place); exit 3 and the file untouched otherwise.")
    static final class Write implements Callable<Integer> {
        @ParentCommand
        Swarm swarm;

        @Parameters(index = "0", paramLabel = "PATH", description = "The file to write.")
        String path;

        // not --token: that is every command's agent token
        @Option(names = {"--fencing-token", "--fence"}, required = true, paramLabel = "N",
                description = "Your lease's fencing token (lock acquire prints it).")
        long token;

        // required: a command run with nothing on its standard input would otherwise empty the file
        @Option(names = "--from", required = true, paramLabel = "FILE", description = "Take the content from FILE, or - for standard input.")
        String from;

        @Override
        public Integer call() {
            String content = content();
            return swarm.run(services -> services.leaseEndpoints.fencedWrite, swarm.actingAgent(),
                    new LeaseOperations.FencedWrite(swarm.resourceTyped(path), token, content),
                    lease -> "wrote " + path + " (token " + lease.token() + " of " + lease.agent() + "'s lease on " + lease.resource() + ")");
        }

        private String content() {
            boolean stdin = from.equals("-");
            try (InputStream in = stdin ? System.in : Files.newInputStream(swarm.fileNamed(from))) {
                byte[] bytes = in.readNBytes(LeaseOperations.FencedWrite.LARGEST_CONTENT_BYTES + 1);
                if (bytes.length > LeaseOperations.FencedWrite.LARGEST_CONTENT_BYTES) {
                    throw SwarmException.badInput("the content from " + from + " is over 1 MiB: a fenced write takes at most that");
                }
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw SwarmException.badInput("the content from " + (stdin ? "standard input" : from) + " is not UTF-8 text: a fenced write takes text");
            } catch (IOException e) {
                throw SwarmException.badInput("cannot read " + (stdin ? "standard input" : from) + ": " + e.getMessage());
            }
        }
    }
}
