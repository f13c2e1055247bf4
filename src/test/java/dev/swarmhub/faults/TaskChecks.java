package dev.swarmhub.faults;

import dev.swarmhub.faults.History.EventRef;
import dev.swarmhub.faults.History.Operation;
import dev.swarmhub.faults.Violation.Kind;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * Task claims and completions, and the final read's counts.
 *
 * <p>A claim is a lease kept while its holder calls: each answered write call of the holder
 * extends it to now + the claim ttl, at most once a second. A second client's claim is reported
 * only when the first claim was certainly still valid at that moment:
 * <ul>
 * <li>the first holder reported progress or done on the task (answered ok) after the second claim
 * was answered, with no other claim of its own in between that may have taken the task again; or</li>
 * <li>when run.json gives {@code claim_ttl_ms}: the second claim was answered before the first
 * holder's last answered write call (invoke) + the ttl − 2 s (the once-a-second renewal and a
 * margin), with no done of the first holder that may have ended it and no clock step in between.</li>
 * </ul>
 */
final class TaskChecks {

    /** The claim is renewed at most once a second: the second is margin. */
    private static final long RENEWAL_SLACK_NS = 2_000_000_000L;
    /** Calls the hub admits as writes: they keep the caller's claims (a read does not). */
    private static final Set<String> WRITE_CALLS = Set.of("acquire", "renew", "release", "write", "send", "ack", "claim", "progress", "done");

    private final History history;
    private final Findings findings;

    private TaskChecks(History history, Findings findings) {
        this.history = history;
        this.findings = findings;
    }

    static void check(History history, Findings findings) {
        TaskChecks checks = new TaskChecks(history, findings);
        checks.claims();
        checks.dones();
        if (history.finalState() != null) {
            checks.counts(history.finalState());
        } else {
            findings.note("no final read: the final state and its counts were not checked");
        }
    }

    private void claims() {
        Map<String, List<Operation>> claimsByTask = history.operations("claim").stream().filter(claim -> claim.ok() && !task(claim).isEmpty())
                .collect(Collectors.groupingBy(TaskChecks::task, LinkedHashMap::new, Collectors.toList()));
        claimsByTask.forEach((task, claims) -> {
            for (Operation first : claims) {
                for (Operation second : claims) {
                    if (!first.process().equals(second.process()) && first.precedes(second) && !endedBefore(first, task, second)
                            && stillValid(first, task, second)) {
                        break;
                    }
                }
            }
        });
    }

    /** Whether the first holder's done (answered or unknown) may have ended its claim before the second claim. */
    private boolean endedBefore(Operation first, String task, Operation second) {
        return history.operations("done").stream().anyMatch(done -> done.process().equals(first.process()) && !done.failed()
                && done.input("task").equals(task) && done.invokedAt() > first.invokedAt() && done.invokedAt() < second.completedAt());
    }

    private boolean stillValid(Operation first, String task, Operation second) {
        String holder = first.process();
        for (Operation report : history.operations(op -> op.process().equals(holder) && op.ok()
                && (op.f().equals("progress") || op.f().equals("done")) && op.input("task").equals(task) && op.invokedAt() > second.completedAt())) {
            boolean claimedAgain = history.operations("claim").stream().anyMatch(claim -> claim.process().equals(holder) && claim != first
                    && claim.invokedAt() > first.invokedAt() && claim.invokedAt() < report.invokedAt()
                    && (claim.unknown() || task(claim).equals(task)));
            if (!claimedAgain) {
                findings.violation(Kind.DOUBLE_CLAIM, List.of(first.ref(), second.ref(), report.ref()), "task " + task + " was claimed by "
                        + second.process() + " while " + holder + "'s claim was valid: " + holder + "'s " + report.f()
                        + " was accepted afterwards");
                return true;
            }
        }
        Long claimTtlMs = history.run().claimTtlMs();
        if (claimTtlMs == null) {
            return false;
        }
        OptionalLong lastCall = history.operations(op -> op.process().equals(holder) && op.ok() && WRITE_CALLS.contains(op.f())
                && op.invokedAt() >= first.invokedAt() && op.invokedAt() < second.completedAt()).stream().mapToLong(Operation::invokedAt).max();
        boolean clockStepped = history.faults().stream().anyMatch(fault -> fault.kind().equals("clock-step")
                && fault.overlaps(first.invokedAt(), second.completedAt()));
        long validUntil = lastCall.orElseThrow() + claimTtlMs * 1_000_000 - RENEWAL_SLACK_NS;
        if (!clockStepped && second.completedAt() < validUntil) {
            findings.violation(Kind.DOUBLE_CLAIM, List.of(first.ref(), second.ref()), "task " + task + " was claimed by " + second.process()
                    + " while " + holder + "'s claim was valid: " + holder + " last called at " + Timeline.seconds(lastCall.getAsLong())
                    + ", its claim kept for " + claimTtlMs + " ms");
            return true;
        }
        return false;
    }

    private void dones() {
        Map<String, List<Operation>> donesByTask = history.operations("done").stream().filter(Operation::ok)
                .collect(Collectors.groupingBy(done -> done.input("task"), LinkedHashMap::new, Collectors.toList()));
        JsonNode finalTasks = history.finalState() == null ? null : history.finalState().path("tasks");
        donesByTask.forEach((task, dones) -> {
            if (dones.size() > 1) {
                findings.violation(Kind.DOUBLE_DONE, dones.stream().map(Operation::ref).toList(), "task " + task + " was reported done "
                        + dones.size() + " times, each answered ok (" + dones.stream().map(Operation::process).toList() + ")");
            }
            if (finalTasks != null && finalTasks.has(task) && !finalTasks.path(task).path("status").asString("").equals("done")) {
                findings.violation(Kind.LOST_DONE, List.of(dones.getFirst().ref(), history.finalReadRef()), "task " + task + " was reported done (answered ok)"
                        + " but ends " + finalTasks.path(task).path("status").asString("without a status"));
            }
        });
    }

    /** Each count lies between what was acknowledged and that plus what may have happened (ok ≤ n ≤ ok + unknown). */
    private void counts(JsonNode finalState) {
        JsonNode counts = finalState.path("counts");
        if (counts.has("messages")) {
            long fromOthers = 0;
            Set<String> clients = new HashSet<>(history.clients());
            for (JsonNode inbox : finalState.path("messages")) {
                for (JsonNode message : inbox) {
                    fromOthers += clients.contains(message.path("from").asString("")) ? 0 : 1;
                }
            }
            List<Operation> sends = history.operations("send");
            bounded("messages", counts.get("messages").asLong(), sends.stream().filter(Operation::ok).count(),
                    sends.stream().filter(Operation::unknown).count() + fromOthers, "sends answered ok", "of unknown outcome or from the hub");
        }
        if (counts.has("tasks_done")) {
            Set<String> done = history.operations("done").stream().filter(Operation::ok).map(op -> op.input("task")).collect(Collectors.toSet());
            Set<String> maybeDone = history.operations("done").stream().filter(Operation::unknown).map(op -> op.input("task"))
                    .filter(task -> !done.contains(task)).collect(Collectors.toSet());
            long tasksDone = counts.get("tasks_done").asLong();
            bounded("tasks_done", tasksDone, done.size(), maybeDone.size(), "tasks done (answered ok)", "with a done of unknown outcome");
            JsonNode tasks = finalState.path("tasks");
            if (tasks.isObject()) {
                long listedDone = tasks.properties().stream().filter(task -> task.getValue().path("status").asString("").equals("done")).count();
                if (listedDone != tasksDone) {
                    findings.violation(Kind.COUNT_MISMATCH, List.of(history.finalReadRef()), "the final read counts " + tasksDone + " tasks done but lists "
                            + listedDone);
                }
            }
        }
    }

    private void bounded(String count, long counted, long certain, long possible, String certainWhat, String possibleWhat) {
        if (counted < certain || counted > certain + possible) {
            findings.violation(Kind.COUNT_MISMATCH, List.of(history.finalReadRef()), "the final read counts " + count + " = " + counted + "; the history has "
                    + certain + " " + certainWhat + " and " + possible + " more " + possibleWhat);
        }
    }


    private static String task(Operation claim) {
        JsonNode task = claim.output().path("task");
        return task.isNull() || task.isMissingNode() ? "" : task.isString() ? task.asString() : task.toString();
    }
}
