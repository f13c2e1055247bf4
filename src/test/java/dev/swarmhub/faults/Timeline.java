package dev.swarmhub.faults;

import dev.swarmhub.faults.History.EventRef;
import dev.swarmhub.faults.History.FaultSpan;
import dev.swarmhub.faults.History.Operation;
import dev.swarmhub.faults.LeaseFacts.Lease;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run as one self-contained HTML page (inline SVG, no script, nothing fetched): a lane per
 * client with its operations (green ok, grey refused, orange unknown) and its leases (coloured by
 * resource, labelled with their tokens), the nemesis' faults shaded across all lanes, violations
 * as numbered red marks listed below. A lease bar runs from its grant's answer to its release, or
 * else to its last known expiry, placed in real time from the renewal that set it (store and
 * monotonic clocks run at the same rate; this is for reading, not judging).
 */
final class Timeline {

    private static final int LEFT = 70;
    private static final int WIDTH = 1400;
    private static final int LANE = 30;
    private static final int TOP = 40;
    private static final int MANY_OPERATIONS = 5000;
    private static final String[] COLOURS = {"#1f77b4", "#9467bd", "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f", "#2ca02c"};
    private static final Map<String, String> FAULT_COLOURS = Map.of("kill-hub", "#ffb3b3", "pause-hub", "#ffe0a3", "pause-client", "#fff3b0",
            "disk-full", "#d9c2f0", "slow-disk-on", "#e6d9f5", "clock-step", "#b3e0ff", "drop-connections", "#c9f0c9");

    private Timeline() {
    }

    /** ns since the run's start as "12.345 s". */
    static String seconds(long nanos) {
        return nanos == History.NEVER ? "never" : String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
    }

    static String html(History history, CheckResult result) {
        List<String> lanes = history.clients();
        long end = Math.max(1, history.end());
        int height = TOP + lanes.size() * LANE + 30;
        Map<String, String> colours = new LinkedHashMap<>();
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns='http://www.w3.org/2000/svg' width='").append(LEFT + WIDTH + 20).append("' height='").append(height)
                .append("' font-family='sans-serif' font-size='11'>\n");
        for (FaultSpan fault : history.faults()) {
            int from = x(fault.start(), end);
            int to = Math.max(from + 2, x(Math.min(fault.end(), end), end));
            svg.append("<rect x='").append(from).append("' y='").append(TOP - 14).append("' width='").append(to - from).append("' height='")
                    .append(height - TOP).append("' fill='").append(FAULT_COLOURS.getOrDefault(fault.kind(), "#dddddd"))
                    .append("' opacity='0.6'><title>").append(escape(fault.kind() + " " + fault.target() + " from " + seconds(fault.start())
                            + " to " + seconds(fault.end()))).append("</title></rect>\n");
            svg.append("<text x='").append(from + 2).append("' y='").append(TOP - 18).append("'>").append(escape(fault.kind())).append("</text>\n");
        }
        for (int i = 0; i < lanes.size(); i++) {
            int y = TOP + i * LANE;
            svg.append("<text x='4' y='").append(y + 18).append("'>").append(escape(lanes.get(i))).append("</text>\n");
            svg.append("<line x1='").append(LEFT).append("' x2='").append(LEFT + WIDTH).append("' y1='").append(y + LANE)
                    .append("' y2='").append(y + LANE).append("' stroke='#eeeeee'/>\n");
        }
        LeaseFacts facts = LeaseFacts.of(history);
        for (Lease lease : facts.leases()) {
            int lane = lanes.indexOf(lease.holder());
            String colour = colours.computeIfAbsent(lease.resource(), resource -> COLOURS[colours.size() % COLOURS.length]);
            long from = lease.firstOk().completedAt();
            long to = Math.min(end, leaseEnd(history, facts, lease));
            int x = x(from, end);
            int y = TOP + lane * LANE + 4;
            int width = Math.max(2, x(to, end) - x);
            svg.append("<rect x='").append(x).append("' y='").append(y).append("' width='").append(width)
                    .append("' height='12' fill='").append(colour).append("' opacity='0.55'><title>").append(escape(lease.holder() + " "
                            + lease.resource() + " lease " + lease.id() + " token " + lease.token() + " from " + seconds(from) + " to " + seconds(to)))
                    .append("</title></rect>\n");
            if (width >= 6 * String.valueOf(lease.token()).length() + 4) { // the token where it fits; always in the bar's tooltip
                svg.append("<text x='").append(x + 2).append("' y='").append(y + 10).append("' font-size='9' fill='white'>").append(lease.token())
                        .append("</text>\n");
            }
        }
        boolean titled = history.operations().size() <= MANY_OPERATIONS;
        for (Operation op : history.operations()) {
            int lane = lanes.indexOf(op.process());
            int x = x(op.invokedAt(), end);
            int width = Math.max(1, x(Math.min(end, op.completedAt()), end) - x);
            String fill = op.ok() ? "#2ca02c" : op.failed() ? "#aaaaaa" : "#ff7f0e";
            svg.append("<rect x='").append(x).append("' y='").append(TOP + lane * LANE + 19).append("' width='").append(width)
                    .append("' height='7' fill='").append(fill).append("'>");
            if (titled) {
                svg.append("<title>").append(escape(op + " " + seconds(op.invokedAt()) + " " + op.input() + " → " + op.output())).append("</title>");
            }
            svg.append("</rect>\n");
        }
        List<Violation> violations = result.violations();
        for (int i = 0; i < violations.size(); i++) {
            for (EventRef event : violations.get(i).events()) {
                int lane = lanes.indexOf(event.process());
                int x = x(Math.min(end, event.time()), end);
                int y = lane < 0 ? TOP - 10 : TOP + lane * LANE + 2;
                svg.append("<g><title>").append(escape("#" + (i + 1) + " " + violations.get(i))).append("</title>")
                        .append("<line x1='").append(x).append("' x2='").append(x).append("' y1='").append(y).append("' y2='").append(y + LANE - 4)
                        .append("' stroke='red' stroke-width='2'/><text x='").append(x + 3).append("' y='").append(y + 8)
                        .append("' fill='red' font-weight='bold'>").append(i + 1).append("</text></g>\n");
            }
        }
        svg.append("<text x='").append(LEFT).append("' y='").append(height - 8).append("'>0 s</text><text x='").append(LEFT + WIDTH - 60)
                .append("' y='").append(height - 8).append("'>").append(seconds(end)).append("</text>\n</svg>\n");
        return page(history, result, colours, svg.toString());
    }

    private static String page(History history, CheckResult result, Map<String, String> colours, String svg) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Fault run ")
                .append(history.run().seed()).append("</title>\n<style>body{font-family:sans-serif;margin:16px} .v{color:#b00} "
                        + ".key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle} "
                        + "div.scroll{overflow-x:auto;border:1px solid #ddd}</style></head><body>\n");
        html.append("<h1>Fault run: ").append(result.verdict()).append("</h1>\n<p>seed ").append(history.run().seed()).append(", store ")
                .append(escape(history.run().store())).append(", ").append(history.run().hubs()).append(" hub(s), ").append(history.run().clients())
                .append(" clients, ").append(history.operations().size()).append(" operations, ").append(history.faults().size())
                .append(" faults, ").append(result.violations().size()).append(" violations</p>\n<p class='key'>");
        colours.forEach((resource, colour) -> html.append("<span style='background:").append(colour).append("'></span>").append(escape(resource)));
        html.append("<span style='background:#2ca02c'></span>ok<span style='background:#aaaaaa'></span>refused"
                + "<span style='background:#ff7f0e'></span>unknown<span style='background:red'></span>violation</p>\n");
        html.append("<div class='scroll'>").append(svg).append("</div>\n<h2>Violations</h2>\n<ol>\n");
        result.violations().forEach(violation -> html.append("<li class='v'>").append(escape(violation.toString())).append("</li>\n"));
        html.append("</ol>\n<h2>Summary</h2>\n<pre>").append(escape(Summary.text(history, result))).append("</pre>\n</body></html>\n");
        return html.toString();
    }

    /** Its release if the history names one, else its last known expiry placed in real time from the answer that set it. */
    private static long leaseEnd(History history, LeaseFacts facts, Lease lease) {
        for (Operation release : history.operations("release")) {
            if (release.ok() && facts.leaseOf(release).filter(released -> released == lease).isPresent()) {
                return release.completedAt();
            }
        }
        Operation last = lease.extensions().getLast();
        Long storeTime = LeaseFacts.storeTime(last);
        return last.completedAt() + (storeTime == null ? lease.ttlMs() : last.outputNumber("expires_at") - storeTime) * 1_000_000;
    }

    private static int x(long time, long end) {
        return LEFT + (int) (WIDTH * (double) Math.max(0, time) / end);
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace("\"", "&quot;");
    }
}
