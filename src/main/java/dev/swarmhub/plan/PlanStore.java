package dev.swarmhub.plan;

import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Tx;
import java.util.List;
import java.util.OptionalLong;

/** The coordination document's rows in a transaction ({@link Tx#part}). */
public interface PlanStore {

    static PlanStore in(Tx tx) {
        return tx.part(PlanStore.class);
    }

    /** The document's revision (one more at each transaction that changes it); empty before its first sections were made. */
    OptionalLong revision();

    void setRevision(long revision);

    /** Every section, in order. */
    List<Section> sections();

    void insertSection(Section section);

    /** Writes the section's name, position, version, text and change. */
    void updateSection(Section section);

    void deleteSection(String id);

    /** The newest {@code limit} events of the document, or of one section (by id) when given; oldest first. */
    List<Event> history(String sectionId, int limit);
}
