package dev.swarmhub.hub;

import dev.swarmhub.hub.JsonViews.DocChangeView;
import dev.swarmhub.hub.JsonViews.DocView;
import dev.swarmhub.hub.JsonViews.EventsView;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.plan.Plan;
import dev.swarmhub.plan.PlanOperations;
import dev.swarmhub.plan.PlanOperations.AddSection;
import dev.swarmhub.plan.PlanOperations.AppendText;
import dev.swarmhub.plan.PlanOperations.History;
import dev.swarmhub.plan.PlanOperations.None;
import dev.swarmhub.plan.PlanOperations.OneSection;
import dev.swarmhub.plan.PlanOperations.RemoveLine;
import dev.swarmhub.plan.PlanOperations.RenameSection;
import dev.swarmhub.plan.PlanOperations.SetText;
import dev.swarmhub.plan.PlanOperations.Show;
import dev.swarmhub.plan.PlanOperations.Update;
import java.util.List;

/** The coordination document's operations with their views, as the CLI, HTTP and MCP expose them. */
public final class PlanEndpoints {

    public final Exposed<Show, Plan.Document> show;
    public final Exposed<None, Plan.Document> sections;
    public final Exposed<SetText, Plan.Changed> set;
    public final Exposed<AppendText, Plan.Changed> append;
    public final Exposed<RemoveLine, Plan.Changed> removeLine;
    public final Exposed<AddSection, Plan.Changed> addSection;
    public final Exposed<RenameSection, Plan.Changed> renameSection;
    public final Exposed<OneSection, Plan.Changed> removeSection;
    public final Exposed<History, List<Event>> history;
    public final Exposed<Update, Plan.Changed> update;

    public PlanEndpoints(PlanOperations operations) {
        show = Exposed.of(operations.show, DocView.class, (a, document) -> JsonViews.doc(document));
        sections = Exposed.of(operations.sections, DocView.class, (a, document) -> JsonViews.doc(document));
        set = Exposed.of(operations.set, DocChangeView.class, (a, changed) -> JsonViews.docChange(changed));
        append = Exposed.of(operations.append, DocChangeView.class, (a, changed) -> JsonViews.docChange(changed));
        removeLine = Exposed.of(operations.removeLine, DocChangeView.class, (a, changed) -> JsonViews.docChange(changed));
        addSection = Exposed.of(operations.addSection, DocChangeView.class, (a, changed) -> JsonViews.docChange(changed));
        renameSection = Exposed.of(operations.renameSection, DocChangeView.class, (a, changed) -> JsonViews.docChange(changed));
        removeSection = Exposed.of(operations.removeSection, DocChangeView.class, (a, changed) -> JsonViews.docChange(changed));
        history = Exposed.of(operations.history, EventsView.class, (a, events) -> JsonViews.events(events));
        update = Exposed.of(operations.update, DocChangeView.class, (a, changed) -> JsonViews.docChange(changed));
    }
}
