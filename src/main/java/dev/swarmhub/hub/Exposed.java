package dev.swarmhub.hub;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Operation;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * A domain operation as the adapters expose it: its definition, the one JSON view of its answer
 * (shared by HTTP, MCP and the CLI's --json), and whether a call waits (its client's leaving then
 * ends the wait).
 */
record Exposed<A extends Record, R>(Operation<A, R> operation, BiFunction<A, R, Map<String, Object>> view, Predicate<A> waits) {

    static <A extends Record, R> Exposed<A, R> of(Operation<A, R> operation, BiFunction<A, R, Map<String, Object>> view) {
        return new Exposed<>(operation, view, arguments -> false);
    }

    A arguments(Map<String, ?> values, OperationArguments.Wording wording) {
        return OperationArguments.bind(operation.arguments(), values, wording);
    }

    Map<String, Object> call(Caller caller, A arguments) {
        return view.apply(arguments, operation.run(caller, arguments));
    }

    Map<String, Object> schema() {
        return OperationArguments.schema(operation.arguments());
    }
}
