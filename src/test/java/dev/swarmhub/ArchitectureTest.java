package dev.swarmhub;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/ARCHITECTURE.md, checked on the compiled classes (so a fully
 * qualified name counts as much as an import): the kernel depends on nothing of ours, each domain
 * only on the kernel and the domains below it, the store and the adapters on what they serve, and
 * no package on one that depends on it.
 */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.swarmhub");

    /** Each package of ours, and the packages of ours it may use besides itself. */
    private static final Map<String, List<String>> MAY_USE = Map.ofEntries(
            Map.entry("kernel", List.of()),
            Map.entry("leases", List.of("kernel")),
            Map.entry("agents", List.of("kernel", "leases")),
            Map.entry("messages", List.of("kernel", "leases", "agents")),
            Map.entry("tasks", List.of("kernel", "leases", "agents")),
            Map.entry("processes", List.of("kernel", "leases", "agents", "tasks")),
            Map.entry("plan", List.of("kernel")),
            Map.entry("logins", List.of("kernel")),
            Map.entry("store", List.of("kernel", "leases", "agents", "messages", "tasks", "processes", "plan", "logins")),
            Map.entry("host", List.of("kernel", "leases", "agents", "messages")),
            Map.entry("hub", List.of("kernel", "leases", "agents", "messages", "tasks", "processes", "plan", "logins", "store", "host")),
            Map.entry("cli", List.of("kernel", "leases", "agents", "messages", "tasks", "processes", "plan", "logins", "store", "host", "hub")));
    private static final List<String> DOMAIN = List.of("kernel", "leases", "agents", "messages", "tasks", "processes", "plan", "logins");

    @Test
    void eachPackageUsesOnlyThePackagesBelowIt() {
        MAY_USE.forEach((from, allowed) -> {
            List<String> others = new ArrayList<>(MAY_USE.keySet());
            others.remove(from);
            others.removeAll(allowed);
            noClasses().that().resideInAPackage("dev.swarmhub." + from + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(others.stream().map(p -> "dev.swarmhub." + p + "..").toArray(String[]::new))
                    .because(from + " may use only " + (allowed.isEmpty() ? "itself" : String.join(", ", allowed)))
                    .check(CLASSES);
        });
    }

    @Test
    void everyClassIsInAKnownPackage() {
        classes().should().resideInAnyPackage(MAY_USE.keySet().stream().map(p -> "dev.swarmhub." + p + "..").toArray(String[]::new))
                .because("a new package needs its place in the rules").check(CLASSES);
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("dev.swarmhub.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    /** The domain is plain Java over the store: files, sockets and processes belong to the store and the adapters. */
    @Test
    void theDomainTouchesNoFiles() {
        noClasses().that().resideInAnyPackage(DOMAIN.stream().map(p -> "dev.swarmhub." + p + "..").toArray(String[]::new))
                .should().dependOnClassesThat().haveFullyQualifiedName("java.nio.file.Files")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.io.File")
                .orShould().dependOnClassesThat().resideInAnyPackage("java.nio.file.attribute..", "java.nio.channels..", "java.net..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.ProcessBuilder")
                .check(CLASSES);
    }
}
