package dev.swarmhub.kernel;

/**
 * An operation of a domain, defined once: its name, what it does, its arguments (a record whose
 * components carry {@link Doc} and whose constructor applies the defaults and limits, each error
 * naming the argument), whether its transaction checks the caller's token again, and what it
 * does. The adapters (HTTP, MCP, the CLI) only convert their transport's fields into the
 * arguments, call {@link #run}, and render the answer with one shared view.
 *
 * @param admitting whether the operation's write transaction checks the caller's token again (through the {@link Gate})
 *     before the operation does or tells anything: then an adapter may let a token it verified lately stand until then
 * @param effect what a call does to the swarm's state (read only, destructive, idempotent), for clients deciding whether to ask first
 */
public record Operation<A extends Record, R>(String name, String summary, Class<A> arguments, boolean admitting, Effect effect,
        Call<A, R> call) {

    @FunctionalInterface
    public interface Call<A, R> {
        R run(Caller caller, A arguments);
    }

    public R run(Caller caller, A arguments) {
        return call.run(caller, arguments);
    }
}
