package dev.swarmhub.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.data.statistics.DefaultMultiValueCategoryDataset;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BenchPlotsTest {

    @TempDir
    Path dir;

    /** A bench document as `swarm bench --json` prints it, with the driver's series label (and byKind JSON, or ""). */
    private static String line(String series, int clients, double perSecond, double p50, double p99, String byKind) {
        return String.format(java.util.Locale.ROOT, "{\"scenario\":\"disjoint\",\"clients\":%d,\"operations\":1000,\"perSecond\":%s,"
                + "\"p50Ms\":%s,\"p95Ms\":%s,\"p99Ms\":%s,\"maxMs\":%s,\"byKind\":{%s},\"hubCpuMicrosPerOperation\":200.0,\"series\":\"%s\"}",
                clients, perSecond, p50, p50 * 2, p99, p99 * 2, byKind, series);
    }

    private static String kind(String name, double p50, double p95, double p99, double max) {
        return String.format(java.util.Locale.ROOT, "\"%s\":{\"operations\":10,\"p50Ms\":%s,\"p95Ms\":%s,\"p99Ms\":%s,\"maxMs\":%s}",
                name, p50, p95, p99, max);
    }

    /** JFreeChart's raw lists, typed for AssertJ. */
    private static List<Object> list(List<?> raw) {
        return new ArrayList<>(raw);
    }

    private List<BenchPlots.Run> runs(String... lines) throws Exception {
        Path input = Files.writeString(dir.resolve("runs-" + System.nanoTime() + ".jsonl"), String.join("\n", lines) + "\n");
        return BenchPlots.read(List.of(input));
    }

    @Test
    void throughputHasALinePerSeriesWithTheMeanAndRangeOfRoundsAtEachClientCount() throws Exception {
        YIntervalSeriesCollection dataset = BenchPlots.throughputDataset(runs(
                line("swarmhub (SQLite)", 1, 1000, 0.5, 4, ""),
                line("claude-swarm in-process", 1, 300, 2, 9, ""),
                line("swarmhub (SQLite)", 1, 1200, 0.5, 4, ""),
                line("swarmhub (SQLite)", 16, 5000, 2.5, 9, ""),
                "{\"scenario\":\"disjoint\",\"clients\":1,\"x\":16,\"perSecond\":700,\"p50Ms\":1,\"p95Ms\":2,\"p99Ms\":3,\"maxMs\":4,"
                        + "\"series\":\"claude-swarm in-process\"}"));

        assertThat(dataset.getSeriesCount()).isEqualTo(2);
        assertThat((Object) dataset.getSeriesKey(0)).isEqualTo("swarmhub (SQLite)");
        assertThat(dataset.getItemCount(0)).isEqualTo(2);
        assertThat(dataset.getXValue(0, 0)).isEqualTo(1);
        assertThat(dataset.getYValue(0, 0)).isEqualTo(1100);
        assertThat(dataset.getStartYValue(0, 0)).isEqualTo(1000);
        assertThat(dataset.getEndYValue(0, 0)).isEqualTo(1200);
        assertThat(dataset.getXValue(0, 1)).isEqualTo(16);
        assertThat(dataset.getYValue(0, 1)).isEqualTo(5000);
        assertThat((Object) dataset.getSeriesKey(1)).isEqualTo("claude-swarm in-process");
        assertThat(dataset.getItemCount(1)).isEqualTo(2);
        assertThat(dataset.getYValue(1, 0)).isEqualTo(300);
        assertThat(dataset.getXValue(1, 1)).as("x places a run instead of its clients").isEqualTo(16);
        assertThat(dataset.getYValue(1, 1)).isEqualTo(700);
    }

    @Test
    void latencyHasThePercentilesOfEachKindOfEachSeries() throws Exception {
        DefaultMultiValueCategoryDataset dataset = BenchPlots.latencyDataset(runs(
                line("API", 1, 800, 1, 10, kind("send_message", 1.3, 2, 10, 30) + "," + kind("fetch_inbox", 0.6, 1, 1.8, 5)),
                line("MCP", 1, 600, 1, 10, kind("send_message", 1.8, 3, 10.5, 40)),
                line("MCP", 1, 600, 1, 10, kind("send_message", 1.6, 3, 10.5, 20)),
                line("disjoint, no kinds", 16, 5000, 2.5, 9, "")));

        assertThat(list(dataset.getRowKeys())).containsExactly("p50", "p95", "p99", "max");
        assertThat(list(dataset.getColumnKeys())).containsExactly("send_message\nAPI", "fetch_inbox\nAPI", "send_message\nMCP",
                "disjoint\ndisjoint, no kinds");
        assertThat(dataset.getValue("p50", "send_message\nAPI")).isEqualTo(1.3);
        assertThat(dataset.getValue("max", "fetch_inbox\nAPI")).isEqualTo(5.0);
        assertThat(list(dataset.getValues("max", "send_message\nMCP"))).containsExactlyInAnyOrder(40.0, 20.0);
        assertThat(dataset.getValue("max", "send_message\nMCP").doubleValue()).isEqualTo(30);
        assertThat(dataset.getValue("p99", "disjoint\ndisjoint, no kinds")).as("a scenario of one kind: the run's own percentiles").isEqualTo(9.0);
    }

    @Test
    void storesHaveOneBarPerSeriesInInputOrder() throws Exception {
        List<BenchPlots.Run> runs = runs(
                line("SQLite", 16, 5000, 2.5, 9, ""),
                line("PostgreSQL, 1 hub", 16, 2000, 6, 20, ""),
                line("PostgreSQL, 2 hubs", 16, 2600, 5, 30, ""),
                line("PostgreSQL, 2 hubs", 16, 2800, 5, 34, ""));

        DefaultMultiValueCategoryDataset perSecond = BenchPlots.seriesDataset(runs, "ops/s", BenchPlots.Run::perSecond);
        assertThat(list(perSecond.getColumnKeys())).containsExactly("SQLite", "PostgreSQL, 1 hub", "PostgreSQL, 2 hubs");
        assertThat(perSecond.getValue("ops/s", "SQLite")).isEqualTo(5000.0);
        assertThat(perSecond.getValue("ops/s", "PostgreSQL, 2 hubs").doubleValue()).isEqualTo(2700);
        DefaultMultiValueCategoryDataset p99 = BenchPlots.seriesDataset(runs, "p99", run -> run.latency().get("p99"));
        assertThat(p99.getValue("p99", "PostgreSQL, 1 hub")).isEqualTo(20.0);
        assertThat(list(p99.getValues("p99", "PostgreSQL, 2 hubs"))).containsExactlyInAnyOrder(30.0, 34.0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"throughput", "latency", "stores"})
    void rendersEachKindAsAPngOfTheChartSize(String kind) throws Exception {
        Path input = Files.writeString(dir.resolve("runs.jsonl"), String.join("\n",
                line("SQLite", 1, 1000, 0.5, 4, kind("send_message", 1.3, 2, 10, 30)),
                line("SQLite", 16, 5000, 2.5, 9, kind("send_message", 9, 20, 26, 80)),
                line("SQLite", 16, 5200, 2.4, 8, kind("send_message", 9, 20, 26, 80)),
                line("PostgreSQL, 2 hubs", 16, 2600, 5, 30, kind("send_message", 10, 22, 30, 90)),
                ""));
        Path png = dir.resolve(kind + ".png");

        assertThat(BenchPlots.run(new String[] {png.toString(), kind, input.toString()}, System.err)).isZero();

        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(BenchPlots.WIDTH);
        assertThat(image.getHeight()).isEqualTo(BenchPlots.HEIGHT);
    }

    @Test
    void aMalformedLineIsNamedByFileAndLineAndExitsWith2() throws Exception {
        Path input = Files.writeString(dir.resolve("bad.jsonl"), line("SQLite", 1, 1000, 0.5, 4, "") + "\n{\"scenario\": \n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int exit = BenchPlots.run(new String[] {dir.resolve("out.png").toString(), "throughput", input.toString()},
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(input + ":2: not JSON");
        assertThat(dir.resolve("out.png")).doesNotExist();
    }

    @Test
    void aDocumentWithoutSeriesOrANumberIsRefusedNamingTheField() throws Exception {
        assertThatThrownBy(() -> runs(line("SQLite", 1, 1000, 0.5, 4, "").replace(",\"series\":\"SQLite\"", "")))
                .isInstanceOf(BenchPlots.MalformedInput.class).hasMessageEndingWith(":1: \"series\" is missing or not a non-empty string");
        assertThatThrownBy(() -> runs("", line("SQLite", 1, 1000, 0.5, 4, "").replace("\"perSecond\":1000.0", "\"perSecond\":\"fast\"")))
                .isInstanceOf(BenchPlots.MalformedInput.class).hasMessageEndingWith(":2: \"perSecond\" is missing or not a number");
        assertThatThrownBy(() -> runs(line("SQLite", 1, 1000, 0.5, 4, kind("send_message", 1, 2, 3, 4).replace("\"p95Ms\":2.0,", ""))))
                .isInstanceOf(BenchPlots.MalformedInput.class).hasMessageEndingWith(":1: byKind \"send_message\": \"p95Ms\" is missing or not a number");
    }

    @Test
    void badUsageExitsWith2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(BenchPlots.run(new String[] {"out.png", "pie", "in.jsonl"}, new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: BenchPlots OUTPUT.png latency|stores|throughput");
    }
}
