package dev.swarmhub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The package rules of docs/ARCHITECTURE.md, checked on the sources. */
class ArchitectureTest {

    private static final Path SOURCES = Path.of("src/main/java/dev/swarmhub");
    private static final Map<String, Set<String>> MAY_IMPORT = Map.of(
            "cli", Set.of("hub", "host", "store", "core"),
            "hub", Set.of("host", "store", "core"),
            "host", Set.of("core"),
            "store", Set.of("core"),
            "core", Set.of());
    private static final Pattern OURS = Pattern.compile("^import (?:static )?dev\\.swarmhub\\.(\\w+)\\.", Pattern.MULTILINE);
    /** What reaches this machine's files; {@code Path} alone is a value and allowed. */
    private static final Pattern FILE_IO = Pattern.compile(
            "^import (?:static )?java\\.(?:nio\\.file\\.(?:Files|attribute\\.)|nio\\.channels\\.|io\\.File)", Pattern.MULTILINE);

    @Test
    void importsGoOneWay() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Path source : sources()) {
            String from = SOURCES.relativize(source).getName(0).toString();
            Matcher imported = OURS.matcher(Files.readString(source));
            while (imported.find()) {
                String to = imported.group(1);
                if (!to.equals(from) && !MAY_IMPORT.getOrDefault(from, Set.of()).contains(to)) {
                    wrong.add(SOURCES.relativize(source) + " imports " + to);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theDomainTouchesNoFiles() throws IOException {
        List<String> touching = new ArrayList<>();
        for (Path source : sources()) {
            if (SOURCES.relativize(source).startsWith("core") && FILE_IO.matcher(Files.readString(source)).find()) {
                touching.add(SOURCES.relativize(source).toString());
            }
        }
        assertThat(touching).isEmpty();
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            return files.filter(file -> file.toString().endsWith(".java")).toList();
        }
    }
}
