package dev.swarmhub.hub;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Operation;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A domain operation as the adapters expose it: its definition, the one JSON view of its answer
 * (shared by HTTP, MCP and the CLI's --json), whether a call waits (its client's leaving then
 * ends the wait), its HTTP status, and, for an answer that is complete only after the commit
 * (a sent message's typings into panes), the view to send once committed.
 */
public record Exposed<A extends Record, R>(Operation<A, R> operation, BiFunction<A, R, Map<String, Object>> view, Predicate<A> waits, int status,
        Function<R, Map<String, Object>> committedView) {

    static <A extends Record, R> Exposed<A, R> of(Operation<A, R> operation, BiFunction<A, R, Map<String, Object>> view) {
        return new Exposed<>(operation, view, arguments -> false, 200, null);
    }

    /** An operation whose call may wait, per its arguments. */
    static <A extends Record, R> Exposed<A, R> waiting(Operation<A, R> operation, BiFunction<A, R, Map<String, Object>> view,
            Predicate<A> waits) {
        return new Exposed<>(operation, view, waits, 200, null);
    }

    /** An operation that creates something (201), whose answer is completed after the commit. */
    static <A extends Record, R> Exposed<A, R> creating(Operation<A, R> operation, Function<R, Map<String, Object>> view,
            Function<R, Map<String, Object>> committedView) {
        return new Exposed<>(operation, (arguments, result) -> view.apply(result), arguments -> false, 201, committedView);
    }

    /** The arguments, run, and the answer as sent once the operation committed (for adapters without stored answers). */
    Map<String, Object> callCommitted(Caller caller, A arguments) {
        R result = operation.run(caller, arguments);
        return committedView == null ? view.apply(arguments, result) : committedView.apply(result);
    }

    A arguments(Map<String, ?> values, OperationArguments.Wording wording) {
        return OperationArguments.bind(operation.arguments(), values, wording);
    }

    Map<String, Object> schema(OperationArguments.Wording wording) {
        return OperationArguments.schema(operation.arguments(), wording);
    }
}
