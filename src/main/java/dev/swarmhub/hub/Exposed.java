package dev.swarmhub.hub;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Operation;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A domain operation as the adapters expose it: its definition, the one JSON view of its answer
 * (a record of {@link JsonViews}, shared by HTTP, MCP and the CLI's --json; {@code answer} is its
 * type, from which its schema is derived), whether a call waits (its client's leaving then ends
 * the wait), its HTTP status, and, for an answer that is complete only after the commit (a sent
 * message's typings into panes), what completes it once committed.
 */
public record Exposed<A extends Record, R>(Operation<A, R> operation, Class<? extends Record> answer, BiFunction<A, R, ? extends Record> view,
        Predicate<A> waits, int status, UnaryOperator<R> afterCommit) {

    static <A extends Record, R, V extends Record> Exposed<A, R> of(Operation<A, R> operation, Class<V> answer, BiFunction<A, R, V> view) {
        return new Exposed<>(operation, answer, view, arguments -> false, 200, null);
    }

    /** An operation whose call may wait, per its arguments. */
    static <A extends Record, R, V extends Record> Exposed<A, R> waiting(Operation<A, R> operation, Class<V> answer, BiFunction<A, R, V> view,
            Predicate<A> waits) {
        return new Exposed<>(operation, answer, view, waits, 200, null);
    }

    /** An operation that creates something (201), whose answer is completed after the commit. */
    static <A extends Record, R, V extends Record> Exposed<A, R> creating(Operation<A, R> operation, Class<V> answer, Function<R, V> view,
            UnaryOperator<R> afterCommit) {
        return new Exposed<>(operation, answer, (arguments, result) -> view.apply(result), arguments -> false, 201, afterCommit);
    }

    /** The answer as it is once the operation committed: completed, when the operation's answer is completed after the commit. */
    R committed(R result) {
        return afterCommit == null ? result : afterCommit.apply(result);
    }

    /**
     * Runs the operation and answers as it is once committed, for adapters without stored answers
     * (MCP tools, the CLI): a sent message with its typings.
     */
    public R callCommitted(Caller caller, A arguments) {
        return committed(operation.run(caller, arguments));
    }

    /** The answer in the one JSON view every adapter shows. */
    public Record render(A arguments, R result) {
        return view.apply(arguments, result);
    }

    /** Binds a transport's named values to the operation's arguments (see {@link OperationArguments#bind}). */
    public A arguments(Map<String, ?> values, OperationArguments.Wording wording) {
        return OperationArguments.bind(operation.arguments(), values, wording);
    }

    Map<String, Object> schema(OperationArguments.Wording wording) {
        return OperationArguments.schema(operation.arguments(), wording);
    }

    /** The JSON schema of the answer, its records referred to in {@code definitions} (or written in place when null). */
    Map<String, Object> answerSchema(JsonSchemas.Definitions definitions) {
        return JsonSchemas.of(answer, definitions);
    }
}
