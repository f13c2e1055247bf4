package dev.swarmhub.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swarmhub.kernel.Caller;
import dev.swarmhub.kernel.Event;
import dev.swarmhub.kernel.Store;
import dev.swarmhub.kernel.SwarmException;
import dev.swarmhub.testing.MutableClock;
import dev.swarmhub.testing.TestGate;
import dev.swarmhub.testing.TestStores;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordination document over a real store: the first sections, set with and without the
 * version read, append, remove-line, adding, renaming and removing sections, the history with
 * authors, input refused naming what was wrong, the file written and read back, and hand edits
 * of the file taken in, kept as conflicts, or refused, never dropped.
 */
class PlanTest {

    @TempDir
    Path project;

    private Store store;
    private Plan plan;
    private final Caller alice = TestGate.as("alice");
    private final Caller bob = TestGate.as("bob");
    private final Caller operator = Caller.ofOperator();

    @BeforeEach
    void openStore() {
        store = TestStores.open(project, MutableClock.startingAt2030());
        plan = new Plan(store, TestGate.OPEN);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private Section section(String name) {
        return plan.showSection(operator, name).sections().getFirst();
    }

    private List<String> names() {
        return plan.show(operator).sections().stream().map(Section::name).toList();
    }

    private static String message(Runnable call) {
        try {
            call.run();
        } catch (SwarmException refused) {
            return refused.getMessage();
        }
        throw new AssertionError("not refused");
    }

    @Test
    void aDocumentStartsWithTheSectionsOfTheSettingEmptyAtVersionOne() {
        Plan.Document document = plan.show(alice);
        assertThat(document.sections()).extracting(Section::name).containsExactly("Sprint Goals", "Current Work", "Blocked",
                "Code Review Queue", "Decisions");
        assertThat(document.sections()).allSatisfy(section -> {
            assertThat(section.version()).isEqualTo(1);
            assertThat(section.text()).isEmpty();
            assertThat(section.changedBy()).isEqualTo(Caller.HUB_ID);
        });
        assertThat(document.sections()).extracting(Section::position).containsExactly(0, 1, 2, 3, 4);
        assertThat(document.revision()).isEqualTo(1);
        assertThat(plan.show(bob).revision()).as("made once").isEqualTo(1);
        assertThat(plan.history(alice, null, 10)).extracting(Event::kind).containsExactly("doc.started");
    }

    @Test
    void theFirstSectionsComeFromTheSettingWhenItIsSetBeforeFirstUse() {
        store.write(tx -> {
            tx.putSetting("doc.sections", "Goals, Now");
            return null;
        });
        assertThat(names()).containsExactly("Goals", "Now");
        assertThat(Plan.FIRST_SECTIONS.parse().apply(" A ,B")).containsExactly("A", "B");
        assertThat(message(() -> Plan.FIRST_SECTIONS.parse().apply("A, a"))).contains("'a' is given twice");
        assertThat(message(() -> Plan.FIRST_SECTIONS.parse().apply("A,,B"))).contains("no section name given");
    }

    @Test
    void appendsAddLinesInOrderAndSetReplacesEachMovingTheVersionAndTheRevisionOn() {
        Plan.Changed first = plan.append(alice, "Current Work", "- alice: parser");
        Plan.Changed second = plan.append(bob, "current work", "- bob: lexer\n- bob: tests\n");
        assertThat(first.section().version()).isEqualTo(2);
        assertThat(first.revision()).isEqualTo(2);
        assertThat(second.section().version()).isEqualTo(3);
        assertThat(second.revision()).isEqualTo(3);
        assertThat(second.section().text()).isEqualTo("- alice: parser\n- bob: lexer\n- bob: tests");
        assertThat(second.section().changedBy()).isEqualTo("bob");
        assertThat(second.section().lines()).isEqualTo(3);

        Plan.Changed set = plan.set(alice, "Current Work", "only this", null);
        assertThat(set.section().text()).isEqualTo("only this");
        assertThat(set.section().version()).isEqualTo(4);
        assertThat(section("Blocked").version()).as("other sections untouched").isEqualTo(1);
        assertThat(plan.history(operator, "Current Work", 10)).extracting(Event::kind, Event::agent).containsExactly(
                org.assertj.core.groups.Tuple.tuple("doc.appended", "alice"), org.assertj.core.groups.Tuple.tuple("doc.appended", "bob"),
                org.assertj.core.groups.Tuple.tuple("doc.set", "alice"));
        assertThat(plan.history(operator, "Current Work", 1)).extracting(event -> event.details().get("text")).containsExactly("only this");
    }

    @Test
    void aSetGivenTheVersionItReadIsRefusedWithTheCurrentSectionWhenAnotherChangeCameFirst() {
        long read = section("Blocked").version();
        plan.append(bob, "Blocked", "bob is blocked");
        assertThatThrownBy(() -> plan.set(alice, "Blocked", "alice's view", read)).isInstanceOfSatisfying(VersionConflictException.class,
                conflict -> {
                    assertThat(conflict.kind()).isEqualTo(SwarmException.Kind.DENIED);
                    assertThat(conflict.code()).isEqualTo("version_conflict");
                    assertThat(conflict.current().version()).isEqualTo(2);
                    assertThat(conflict.current().text()).isEqualTo("bob is blocked");
                    assertThat(conflict.getMessage()).contains("'Blocked' is at version 2, not 1");
                });
        assertThat(section("Blocked").text()).as("nothing overwritten").isEqualTo("bob is blocked");
        assertThat(plan.set(alice, "Blocked", "alice's view", 2L).section().version()).isEqualTo(3);
    }

    @Test
    void removeLineRemovesEveryLineReadingAsTheOneGivenListMarkersAside() {
        plan.set(alice, "Current Work", "- alice: parser\n* [x] alice: parser\n2. bob: lexer\n  alice: parser  \nalice: parser, later", null);
        Plan.Changed removed = plan.removeLine(bob, "Current Work", " alice: parser ");
        assertThat(removed.section().text()).isEqualTo("2. bob: lexer\nalice: parser, later");
        assertThat(plan.history(operator, "Current Work", 1).getFirst().details().get("lines")).asList().hasSize(3);
        assertThat(message(() -> plan.removeLine(bob, "Current Work", "nobody"))).isEqualTo("no line of section 'Current Work' reads 'nobody'");
        assertThat(message(() -> plan.removeLine(bob, "Current Work", "  "))).startsWith("no line given");
        assertThat(plan.removeLine(bob, "Current Work", "bob: lexer").section().text()).isEqualTo("alice: parser, later");
    }

    @Test
    void sectionsAreAddedWhereAskedRenamedAndRemovedWithTheirTextKeptInTheHistory() {
        Plan.Changed risks = plan.addSection(alice, "Risks", "Blocked");
        assertThat(risks.section().name()).isEqualTo("Risks");
        assertThat(risks.section().version()).isEqualTo(1);
        assertThat(risks.revision()).isEqualTo(2);
        plan.addSection(alice, "Notes", null);
        assertThat(names()).containsExactly("Sprint Goals", "Current Work", "Blocked", "Risks", "Code Review Queue", "Decisions", "Notes");
        assertThat(plan.show(operator).sections()).extracting(Section::position).containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(message(() -> plan.addSection(bob, "risks", null))).isEqualTo("a section 'Risks' exists already");
        assertThat(message(() -> plan.addSection(bob, "X", "Nowhere"))).startsWith("no section 'Nowhere': the sections are Sprint Goals, ");

        plan.append(alice, "Risks", "the disk may fill");
        Plan.Changed renamed = plan.renameSection(bob, "Risks", "Known Risks");
        assertThat(renamed.section().version()).isEqualTo(3);
        assertThat(renamed.section().text()).isEqualTo("the disk may fill");
        assertThat(plan.renameSection(bob, "Known Risks", "known risks").section().name()).as("a change of case is a rename").isEqualTo("known risks");
        assertThat(message(() -> plan.renameSection(bob, "known risks", "Notes"))).isEqualTo("a section 'Notes' exists already");

        Plan.Changed removed = plan.removeSection(alice, "known risks");
        assertThat(names()).containsExactly("Sprint Goals", "Current Work", "Blocked", "Code Review Queue", "Decisions", "Notes");
        assertThat(plan.show(operator).sections()).extracting(Section::position).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(removed.section().text()).isEqualTo("the disk may fill");
        List<Event> history = plan.history(operator, null, 100);
        assertThat(history.getLast().kind()).isEqualTo("doc.section-removed");
        assertThat(history.getLast().details()).containsEntry("text", "the disk may fill").containsEntry("section", "known risks");
        assertThat(history).extracting(Event::kind).containsSubsequence("doc.section-added", "doc.appended", "doc.section-renamed",
                "doc.section-removed");
        assertThat(message(() -> plan.history(operator, "known risks", 10))).startsWith("no section 'known risks'");
    }

    @Test
    void badInputIsRefusedNamingWhatWasWrongAndChangesNothing() {
        long revision = plan.show(operator).revision();
        assertThat(message(() -> plan.set(alice, "Blocked", "fine\n## Sneaky\nx", null)))
                .isEqualTo("text, line 2, starts with '##', which starts a section in the file: use '###' for a heading within a section, "
                        + "or add a section");
        assertThat(message(() -> plan.append(alice, "Blocked", "a\u0007b"))).isEqualTo("text, line 1, contains U+0007 (a control character): remove it");
        assertThat(message(() -> plan.append(alice, "Blocked", "\u202Eevil"))).contains("U+202E");
        assertThat(message(() -> plan.append(alice, "Blocked", "\n  \n"))).isEqualTo("nothing to append: the text is empty");
        assertThat(message(() -> plan.set(alice, "", "x", null))).isEqualTo("no section name given");
        assertThat(message(() -> plan.addSection(alice, "x".repeat(81), null))).isEqualTo("section name is 81 characters; at most 80");
        assertThat(message(() -> plan.addSection(alice, "a\nb", null))).contains("U+000A");
        assertThat(message(() -> plan.set(alice, "Blocked", "x".repeat(PlanText.MAX_TEXT + 1), null)))
                .isEqualTo("text is 65537 characters; a section holds at most 65536");
        assertThat(message(() -> plan.history(alice, null, 0))).isEqualTo("limit 0 is out of range: use 1 to 1000");
        assertThat(message(() -> plan.history(alice, null, 1001))).isEqualTo("limit 1001 is out of range: use 1 to 1000");
        plan.set(alice, "Blocked", "x".repeat(PlanText.MAX_TEXT - 1), null);
        assertThat(message(() -> plan.append(alice, "Blocked", "y"))).startsWith("section 'Blocked' would hold 65537 characters, more than 65536");
        assertThat(plan.show(operator).revision()).as("only the one set committed").isEqualTo(revision + 1);
        assertThat(plan.set(alice, "Blocked", "tab\there \r\nCR LF   \n\n\n", null).section().text()).isEqualTo("tab\there\nCR LF");
    }

    @Test
    void theDocumentHoldsAtMostAHundredSections() {
        for (int i = names().size(); i < Plan.MAX_SECTIONS; i++) {
            plan.addSection(operator, "S" + i, null);
        }
        assertThat(message(() -> plan.addSection(operator, "one more", null))).startsWith("the document has 100 sections, the most it may");
    }

    @Test
    void fileSettingIsARelativePathInsideTheProjectOutsideSwarm() {
        assertThat(Plan.FILE.parse().apply(" docs/PLAN.md ")).isEqualTo("docs/PLAN.md");
        for (String bad : List.of("/etc/passwd", "../x.md", "a/../../x", ".swarm/x", ".swarm", "docs/", "", "./x")) {
            assertThat(message(() -> Plan.FILE.parse().apply(bad))).as(bad).startsWith("bad doc.file");
        }
    }

    // -------------------------------------------------------------------------------- the file

    @Test
    void theFileReadsBackAsTheSectionsItWasWrittenFrom() {
        plan.append(alice, "Current Work", "- a\n\n  indented\n### sub-heading");
        plan.append(alice, "Decisions", "use SQLite");
        List<Section> sections = plan.show(operator).sections();
        String file = PlanText.render(sections);
        assertThat(file).startsWith("# Coordination\n\n<!-- Written by Swarmhub").endsWith("## Decisions\n\nuse SQLite\n")
                .contains("\n## Blocked\n\n## Code Review Queue\n");
        PlanText.Parsed parsed = PlanText.parse(file);
        Map<String, String> expected = new LinkedHashMap<>();
        sections.forEach(section -> expected.put(section.name(), section.text()));
        Map<String, String> readBack = new LinkedHashMap<>();
        parsed.sections().forEach((name, text) -> readBack.put(name, PlanText.text("t", text)));
        assertThat(readBack).containsExactlyEntriesOf(expected);
        assertThat(parsed.outside()).isBlank();
        assertThat(plan.takeHandEdit("COORDINATION.md", file, List.of(written())).changedAnything()).as("its own file is no edit").isFalse();
    }

    /** The sections as the hub would record them for the file it writes now. */
    private Map<String, Plan.Written> written() {
        Map<String, Plan.Written> written = new LinkedHashMap<>();
        plan.show(operator).sections().forEach(section -> written.put(section.name(), new Plan.Written(section.version(), section.text())));
        return written;
    }

    private String file() {
        return PlanText.render(plan.show(operator).sections());
    }

    @Test
    void aHandEditOfASectionNobodyChangedSinceIsTakenInAsTheOperators() {
        plan.append(alice, "Current Work", "- alice: parser");
        String file = file();
        Map<String, Plan.Written> written = written();
        String edited = file.replace("- alice: parser", "- alice: parser\n- human: look at the flaky test");
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", edited, List.of(written));
        assertThat(taken.taken()).containsExactly("Current Work");
        assertThat(taken.conflicts()).isEmpty();
        Section section = section("Current Work");
        assertThat(section.text()).isEqualTo("- alice: parser\n- human: look at the flaky test");
        assertThat(section.changedBy()).isEqualTo(Caller.OPERATOR_ID);
        assertThat(taken.revision()).isEqualTo(plan.show(operator).revision());
        Event event = plan.history(operator, "Current Work", 1).getFirst();
        assertThat(event.kind()).isEqualTo("doc.hand-edit");
        assertThat(event.agent()).isNull();
        assertThat(event.details()).containsEntry("file", "COORDINATION.md");
    }

    @Test
    void aHandEditOfASectionChangedInTheStoreMeanwhileIsKeptInAConflictSectionNextToIt() {
        plan.append(alice, "Blocked", "first");
        String file = file();
        Map<String, Plan.Written> written = written();
        plan.append(bob, "Blocked", "bob, meanwhile");
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", file.replace("first", "first (hand)"), List.of(written));
        assertThat(taken.conflicts()).containsExactly("Blocked");
        assertThat(taken.taken()).isEmpty();
        assertThat(section("Blocked").text()).as("the store's change stays").isEqualTo("first\nbob, meanwhile");
        assertThat(names()).containsSubsequence("Blocked", "Conflict: Blocked", "Code Review Queue");
        assertThat(section("Conflict: Blocked").text()).contains("A hand edit of COORDINATION.md at 2030-").contains(
                "for section 'Blocked', kept here: it changed in the store since the file was written (now version 3)").endsWith("\n\nfirst (hand)");
        assertThat(plan.history(operator, "Conflict: Blocked", 1).getFirst().kind()).isEqualTo("doc.conflict");

        plan.takeHandEdit("COORDINATION.md", file.replace("first", "first (again)"), List.of(written));
        assertThat(section("Conflict: Blocked").text()).as("a second conflict joins the first").contains("first (hand)").endsWith("first (again)");
    }

    @Test
    void aHandEditMatchingAnyRecentFileIsNoEditSoAFileWrittenBeforeTheRecordIsNotTakenBack() {
        plan.append(alice, "Blocked", "one");
        Map<String, Plan.Written> older = written();
        String olderFile = file();
        plan.append(alice, "Blocked", "two");
        Map<String, Plan.Written> newer = written();
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", olderFile.replace("## Decisions", "## Decisions\n\nby hand"), List.of(newer, older));
        assertThat(taken.taken()).containsExactly("Decisions");
        assertThat(section("Blocked").text()).as("the older file's Blocked is no edit: not taken back").isEqualTo("one\ntwo");
    }

    @Test
    void newHeadingsBecomeSectionsWhereTheyStandAndRemovedHeadingsRemoveUnchangedSections() {
        plan.append(alice, "Decisions", "use SQLite");
        String file = file();
        Map<String, Plan.Written> written = written();
        String edited = file.replace("## Blocked\n", "## Risks\n\nthe disk\n\n## Blocked\n").replace("## Code Review Queue\n", "")
                .replace("## Decisions\n\nuse SQLite\n", "");
        plan.append(bob, "Decisions", "and WAL"); // changed meanwhile: its removal by hand is not applied
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", edited, List.of(written));
        assertThat(names()).containsExactly("Sprint Goals", "Current Work", "Risks", "Blocked", "Decisions");
        assertThat(section("Risks").text()).isEqualTo("the disk");
        assertThat(taken.taken()).containsExactlyInAnyOrder("Risks", "Code Review Queue");
        assertThat(taken.conflicts()).containsExactly("Decisions");
        assertThat(section("Decisions").text()).isEqualTo("use SQLite\nand WAL");
        assertThat(plan.history(operator, null, 100)).filteredOn(event -> event.kind().equals("doc.conflict")).singleElement()
                .satisfies(event -> assertThat(event.details().get("reason").toString()).contains("its heading was removed from the file by hand"));
    }

    @Test
    void aFileLeftWithNoSectionRemovesNoneAndTextOutsideSectionsIsKeptAsAConflict() {
        plan.append(alice, "Blocked", "keep me");
        Map<String, Plan.Written> written = written();
        Plan.Taken emptied = plan.takeHandEdit("COORDINATION.md", "", List.of(written));
        assertThat(emptied.changedAnything()).isFalse();
        assertThat(names()).hasSize(5);

        Plan.Taken outside = plan.takeHandEdit("COORDINATION.md", "# My plan\n\nsome notes up here\n\n" + file().substring(file().indexOf("## ")),
                List.of(written()));
        assertThat(outside.conflicts()).containsExactly(Plan.OUTSIDE);
        assertThat(section("Conflict: outside any section").text()).endsWith("\n\nsome notes up here");
    }

    @Test
    void aFileFoundBeforeAnyWasWrittenFillsEmptySectionsAndAddsItsOthersAConflictForTheRest() {
        plan.append(alice, "Decisions", "stored");
        String found = "# Coordination\n\n## Sprint Goals\n\nship 1.0\n\n## Decisions\n\nfrom the file\n\n## Team\n\nalice, bob\n";
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", found, List.of());
        assertThat(taken.taken()).containsExactly("Sprint Goals", "Team");
        assertThat(taken.conflicts()).containsExactly("Decisions");
        assertThat(section("Sprint Goals").text()).isEqualTo("ship 1.0");
        assertThat(section("Team").text()).isEqualTo("alice, bob");
        assertThat(names().indexOf("Team")).as("after the last section of the file found").isEqualTo(names().indexOf("Decisions") + 2);
        assertThat(section("Decisions").text()).isEqualTo("stored");
        assertThat(names()).contains("Blocked").as("no file was written: nothing counts as removed");
    }

    @Test
    void aSectionRemovedInTheStoreButEditedInTheFileIsKeptAsAConflict() {
        plan.append(alice, "Blocked", "x");
        String file = file();
        Map<String, Plan.Written> written = written();
        plan.removeSection(bob, "Blocked");
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", file.replace("\nx\n", "\nx and y\n"), List.of(written));
        assertThat(taken.conflicts()).containsExactly("Blocked");
        assertThat(section("Conflict: Blocked").text()).contains("it was removed or renamed in the store").endsWith("x and y");
        assertThat(plan.takeHandEdit("COORDINATION.md", file, List.of(written)).changedAnything()).as("unchanged: stays removed").isFalse();
    }

    @Test
    void whatCannotBeStoredIsRefusedAndNamedTheRestIsTakenIn() {
        String file = file();
        Map<String, Plan.Written> written = written();
        String edited = file.replace("## Blocked\n", "## Blocked\n\nbell \u0007 here\n").replace("## Decisions\n", "## Decisions\n\nfine\n\n## "
                + "y".repeat(81) + "\n\nlong name\n");
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", edited, List.of(written));
        assertThat(taken.taken()).containsExactly("Decisions");
        assertThat(taken.refused()).hasSize(2).anySatisfy(why -> assertThat(why).startsWith("section 'Blocked' of COORDINATION.md, line 2, "
                + "contains U+0007")).anySatisfy(why -> assertThat(why).contains("81 characters"));
        assertThat(plan.history(operator, null, 100)).filteredOn(event -> event.kind().equals("doc.hand-edit-refused")).hasSize(2);
        assertThat(names()).as("a section whose edit was refused is not removed").contains("Blocked");
        assertThat(section("Blocked").text()).isEmpty();
    }

    @Test
    void theHubsFirstLookAtTheDocumentMakesItsFirstSections() {
        Plan.Document first = plan.current();
        assertThat(first.sections()).extracting(Section::name).hasSize(5).startsWith("Sprint Goals");
        assertThat(first.revision()).isEqualTo(1);
        plan.append(alice, "Blocked", "x");
        assertThat(plan.current().revision()).isEqualTo(2);
        assertThat(plan.revision()).isEqualTo(2);
    }

    @Test
    void aCallerTheGateRefusesChangesAndReadsNothing() {
        Plan guarded = new Plan(store, new dev.swarmhub.kernel.Gate() {
            @Override
            public void admit(dev.swarmhub.kernel.Tx tx, Caller caller) {
                throw SwarmException.unauthenticated("wrong token");
            }

            @Override
            public void sweep(dev.swarmhub.kernel.Tx tx) {
            }
        });
        assertThat(message(() -> guarded.show(alice))).isEqualTo("wrong token");
        assertThat(message(() -> guarded.append(alice, "Blocked", "x"))).isEqualTo("wrong token");
        assertThat(plan.show(operator).sections()).extracting(Section::text).containsOnly("");
    }

    @Test
    void limitsHoldAtTheirBoundaries() {
        String full = "x".repeat(PlanText.MAX_TEXT);
        assertThat(plan.set(alice, "Blocked", full, null).section().text()).hasSize(PlanText.MAX_TEXT);
        plan.set(alice, "Blocked", "x".repeat(PlanText.MAX_TEXT - 2), null);
        assertThat(plan.append(alice, "Blocked", "y").section().text()).as("exactly full").hasSize(PlanText.MAX_TEXT);
        assertThat(plan.history(alice, null, Plan.MAX_HISTORY)).isNotEmpty();
        List<String> hundred = java.util.stream.IntStream.range(0, Plan.MAX_SECTIONS).mapToObj(i -> "S" + i).toList();
        assertThat(Plan.FIRST_SECTIONS.parse().apply(String.join(",", hundred))).hasSize(100);
        assertThat(message(() -> Plan.FIRST_SECTIONS.parse().apply(String.join(",", hundred) + ",S100"))).isEqualTo(
                "bad doc.sections: 101 sections; at most 100");
        assertThat(Plan.FIRST_SECTIONS.format().apply(List.of("A", "B"))).isEqualTo("A, B");
        assertThat(Plan.FILE.format().apply("PLAN.md")).isEqualTo("PLAN.md");
        String seventy = "n".repeat(70);
        assertThat(Plan.conflictSectionName(seventy)).isEqualTo("Conflict: " + seventy);
        assertThat(Plan.conflictSectionName(seventy + "m")).isEqualTo("Conflict: " + seventy).hasSize(PlanText.MAX_NAME);
        assertThat(PlanOperations.Action.names()).containsExactly("append", "set");
    }

    @Test
    void aHandEditMovesTheRevisionOnOnlyWhenItChangesSomething() {
        Map<String, Plan.Written> written = written();
        long before = plan.show(operator).revision();
        assertThat(plan.takeHandEdit("COORDINATION.md", file(), List.of(written)).revision()).isEqualTo(before);
        Plan.Taken taken = plan.takeHandEdit("COORDINATION.md", file().replace("## Blocked\n", "## Blocked\n\nby hand\n"), List.of(written));
        assertThat(taken.revision()).isEqualTo(before + 1).isEqualTo(plan.show(operator).revision());
    }

    @Test
    void newHeadingsInARowKeepTheirOrderAndEachIsLoggedAsAdded() {
        String file = file();
        Map<String, Plan.Written> written = written();
        plan.takeHandEdit("COORDINATION.md", file.replace("## Blocked\n", "## One\n\n1\n\n## Two\n\n2\n\n## Blocked\n"), List.of(written));
        assertThat(names()).containsExactly("Sprint Goals", "Current Work", "One", "Two", "Blocked", "Code Review Queue", "Decisions");
        assertThat(plan.history(operator, "Two", 5)).singleElement().satisfies(event -> {
            assertThat(event.kind()).isEqualTo("doc.hand-edit");
            assertThat(event.details()).containsEntry("added", true).containsEntry("text", "2");
        });
        plan.takeHandEdit("COORDINATION.md", file().replace("## One\n\n1\n\n", ""), List.of(written()));
        assertThat(plan.history(operator, null, 1).getFirst().details()).containsEntry("section", "One").containsEntry("file", "COORDINATION.md")
                .containsEntry("text", "1");
    }

    @Test
    void whatDoesNotFitIsRefusedNotDropped() {
        for (int i = names().size(); i < Plan.MAX_SECTIONS; i++) {
            plan.addSection(operator, "S" + i, null);
        }
        Map<String, Plan.Written> written = written();
        String file = file();
        plan.append(bob, "Blocked", "meanwhile");
        Plan.Taken full = plan.takeHandEdit("COORDINATION.md", file.replace("## Blocked\n", "## New\n\nnew\n\n## Blocked\n\nby hand\n"),
                List.of(written));
        assertThat(full.refused()).hasSize(2).allSatisfy(why -> assertThat(why).contains("document has too many sections"));
        assertThat(names()).hasSize(Plan.MAX_SECTIONS).doesNotContain("New");

        plan.removeSection(operator, "S99");
        String huge = "z".repeat(PlanText.MAX_TEXT - 10);
        Plan.Taken tooLong = plan.takeHandEdit("COORDINATION.md", file().replace("## Blocked\n\nmeanwhile\n", "## Blocked\n\n" + huge + "\n"),
                List.of(Map.of("Blocked", new Plan.Written(1, ""))));
        assertThat(tooLong.refused()).singleElement().satisfies(why -> assertThat(why).contains("would be too long"));
        assertThat(names()).doesNotContain("Conflict: Blocked");
    }

    @Test
    void operationsOfferedToAdaptersCallTheDocument() {
        PlanOperations operations = new PlanOperations(plan);
        assertThat(operations.update.run(alice, new PlanOperations.Update("Blocked", PlanOperations.Action.APPEND, "a", null)).section().text())
                .isEqualTo("a");
        assertThat(operations.update.run(alice, new PlanOperations.Update("Blocked", PlanOperations.Action.SET, "b", 2L)).section().text())
                .isEqualTo("b");
        assertThatThrownBy(() -> operations.update.run(alice, new PlanOperations.Update("Blocked", PlanOperations.Action.SET, "c", 2L)))
                .isInstanceOf(VersionConflictException.class);
        assertThat(message(() -> new PlanOperations.Update("Blocked", PlanOperations.Action.APPEND, "a", 1L))).startsWith("expected_version applies");
        assertThat(PlanOperations.Action.parse(" SET ")).isEqualTo(PlanOperations.Action.SET);
        assertThat(message(() -> PlanOperations.Action.parse("merge"))).isEqualTo("unknown action 'merge': use append or set");
        assertThat(operations.show.run(bob, new PlanOperations.Show("blocked")).sections()).extracting(Section::text).containsExactly("b");
        assertThat(operations.sections.run(bob, new PlanOperations.None()).sections()).hasSize(5);
        assertThat(operations.history.run(bob, new PlanOperations.History("Blocked", null))).hasSize(2);
        assertThat(operations.history.run(bob, new PlanOperations.History(null, 1))).hasSize(1);
        assertThat(operations.addSection.run(bob, new PlanOperations.AddSection("New", "Blocked")).section().name()).isEqualTo("New");
        assertThat(operations.renameSection.run(bob, new PlanOperations.RenameSection("New", "Newer")).section().name()).isEqualTo("Newer");
        assertThat(operations.removeLine.run(bob, new PlanOperations.RemoveLine("Blocked", "b")).section().text()).isEmpty();
        assertThat(operations.append.run(bob, new PlanOperations.AppendText("Newer", "n")).section().text()).isEqualTo("n");
        assertThat(operations.set.run(bob, new PlanOperations.SetText("Newer", "m", null)).section().text()).isEqualTo("m");
        assertThat(operations.removeSection.run(bob, new PlanOperations.OneSection("Newer")).section().text()).isEqualTo("m");
        assertThat(plan.current().sections()).extracting(Section::text).containsOnly("");
        assertThat(plan.revision()).isEqualTo(plan.current().revision());
    }
}
