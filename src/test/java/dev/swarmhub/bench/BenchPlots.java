package dev.swarmhub.bench;

import dev.swarmhub.hub.JsonViews;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.ScatterRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.DefaultMultiValueCategoryDataset;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Draws {@code swarm bench --json} results as PNG charts for docs/PERFORMANCE.md (issue 20; run by
 * {@code scripts/bench-plots}): {@code BenchPlots OUTPUT.png throughput|latency|stores INPUT...}.
 * Each input line is one bench document plus the field {@code series} (the line or bar it belongs
 * to) and optionally {@code x} (a number that places it on the throughput chart instead of its
 * {@code clients}). Lines of the same series and place (rounds of one measurement) are drawn as
 * their mean, with their range (throughput) or each of them as a dot (bars). Everything drawn
 * comes from the inputs. Exit 2 on bad usage or an input line that is not such a document.
 */
public final class BenchPlots {

    static {
        System.setProperty("java.awt.headless", "true"); // drawn on machines without a display
    }

    static final int WIDTH = 900;
    static final int HEIGHT = 500;
    static final List<String> PERCENTILES = List.of("p50", "p95", "p99", "max");

    private static final Map<String, Function<List<Run>, JFreeChart>> CHARTS = Map.of(
            "throughput", BenchPlots::throughputChart, "latency", BenchPlots::latencyChart, "stores", BenchPlots::storesChart);

    private BenchPlots() {
    }

    /**
     * One input line: {@code latency} is the run's percentiles in ms ({@link #PERCENTILES}), and
     * {@code byKind} the same per operation kind where the scenario has several.
     */
    record Run(String series, String scenario, int clients, double x, double perSecond, Map<String, Double> latency,
               Map<String, Map<String, Double>> byKind) {

        /** Percentiles per kind; a scenario of one kind of operation is its own kind. */
        Map<String, Map<String, Double>> latencyByKind() {
            return byKind.isEmpty() ? Map.of(scenario, latency) : byKind;
        }
    }

    /** A line that is not a bench document with a series; the message names its file and line. */
    static final class MalformedInput extends Exception {
        MalformedInput(Path file, int line, String reason) {
            super(file + ":" + line + ": " + reason);
        }
    }

    /** Where a value goes in a chart: its row (line or bar colour) and column (x or category). */
    record Place(String row, Comparable<?> column) {
    }

    /** One value of a run drawn in a chart; the samples of one place are rounds of one measurement. */
    record Sample(Place place, double value) {
        Sample(String row, Comparable<?> column, double value) {
            this(new Place(row, column), value);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }

    static int run(String[] args, PrintStream err) {
        if (args.length < 3 || !CHARTS.containsKey(args[1])) {
            err.println("usage: BenchPlots OUTPUT.png " + String.join("|", CHARTS.keySet().stream().sorted().toList())
                    + " INPUT.jsonl...  (lines of swarm bench --json, each with a \"series\")");
            return 2;
        }
        try {
            List<Run> runs = read(Arrays.stream(args, 2, args.length).map(Path::of).toList());
            if (runs.isEmpty()) {
                err.println("BenchPlots: no runs in " + String.join(", ", Arrays.asList(args).subList(2, args.length)));
                return 2;
            }
            ChartUtils.saveChartAsPNG(Path.of(args[0]).toFile(), CHARTS.get(args[1]).apply(runs), WIDTH, HEIGHT);
            return 0;
        } catch (MalformedInput e) {
            err.println("BenchPlots: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("BenchPlots: " + e);
            return 2;
        }
    }

    /** The runs of the files' lines, in order; blank lines are skipped. */
    static List<Run> read(List<Path> files) throws IOException, MalformedInput {
        List<Run> runs = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).isBlank()) {
                    try {
                        runs.add(parse(JsonViews.JSON.readTree(lines.get(i))));
                    } catch (JacksonException e) {
                        throw new MalformedInput(file, i + 1, "not JSON: " + e.getOriginalMessage());
                    } catch (IllegalArgumentException e) {
                        throw new MalformedInput(file, i + 1, e.getMessage());
                    }
                }
            }
        }
        return runs;
    }

    private static Run parse(JsonNode document) {
        if (!document.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        int clients = (int) number(document, "clients");
        Map<String, Map<String, Double>> byKind = new LinkedHashMap<>();
        JsonNode kinds = document.path("byKind");
        for (String kind : kinds.propertyNames()) {
            try {
                byKind.put(kind, percentiles(kinds.get(kind)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("byKind \"" + kind + "\": " + e.getMessage());
            }
        }
        return new Run(text(document, "series"), text(document, "scenario"), clients,
                document.has("x") ? number(document, "x") : clients, number(document, "perSecond"), percentiles(document), byKind);
    }

    private static Map<String, Double> percentiles(JsonNode node) {
        Map<String, Double> percentiles = new LinkedHashMap<>();
        PERCENTILES.forEach(p -> percentiles.put(p, number(node, p + "Ms")));
        return percentiles;
    }

    private static double number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" is missing or not a number");
        }
        return value.doubleValue();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isString() || value.asString().isBlank()) {
            throw new IllegalArgumentException("\"" + field + "\" is missing or not a non-empty string");
        }
        return value.asString();
    }

    /** The samples' values by place, places in input order. */
    static Map<Place, List<Double>> group(Stream<Sample> samples) {
        return samples.collect(Collectors.groupingBy(Sample::place, LinkedHashMap::new,
                Collectors.mapping(Sample::value, Collectors.toList())));
    }

    /** Operations per second against clients: a line per series, each point the mean of its rounds with their range. */
    static YIntervalSeriesCollection throughputDataset(List<Run> runs) {
        YIntervalSeriesCollection dataset = new YIntervalSeriesCollection();
        Map<String, YIntervalSeries> lines = new LinkedHashMap<>();
        group(runs.stream().map(run -> new Sample(run.series(), run.x(), run.perSecond()))).forEach((place, values) -> {
            DoubleSummaryStatistics rounds = values.stream().mapToDouble(Double::doubleValue).summaryStatistics();
            lines.computeIfAbsent(place.row(), series -> {
                YIntervalSeries line = new YIntervalSeries(series);
                dataset.addSeries(line);
                return line;
            }).add((Double) place.column(), rounds.getAverage(), rounds.getMin(), rounds.getMax());
        });
        return dataset;
    }

    /** Latency percentiles (rows) per operation kind of each series (columns, "kind\nseries"). */
    static DefaultMultiValueCategoryDataset latencyDataset(List<Run> runs) {
        return categoryDataset(runs.stream().flatMap(run -> run.latencyByKind().entrySet().stream().flatMap(kind ->
                kind.getValue().entrySet().stream().map(p -> new Sample(p.getKey(), kind.getKey() + "\n" + run.series(), p.getValue())))));
    }

    /** One value of each run (a single row) per series (columns): the stores chart's bars. */
    static DefaultMultiValueCategoryDataset seriesDataset(List<Run> runs, String row, Function<Run, Double> value) {
        return categoryDataset(runs.stream().map(run -> new Sample(row, run.series(), value.apply(run))));
    }

    private static DefaultMultiValueCategoryDataset categoryDataset(Stream<Sample> samples) {
        DefaultMultiValueCategoryDataset dataset = new DefaultMultiValueCategoryDataset();
        group(samples).forEach((place, values) -> dataset.add(values, place.row(), place.column()));
        return dataset;
    }

    static JFreeChart throughputChart(List<Run> runs) {
        LogAxis clients = log2Axis("concurrent clients");
        NumberAxis perSecond = new NumberAxis("operations per second");
        perSecond.setNumberFormatOverride(new DecimalFormat("#,##0"));
        XYErrorRenderer lines = new XYErrorRenderer();
        lines.setDefaultLinesVisible(true);
        lines.setDrawXError(false);
        lines.setCapLength(8);
        XYPlot plot = new XYPlot(throughputDataset(runs), clients, perSecond, lines);
        boolean rounds = hasRounds(runs, run -> new Place(run.series(), run.x()));
        return chart("Throughput against clients", runs, plot, true, rounds ? "mean of rounds, whiskers: min–max" : "");
    }

    /** A log axis with a labelled tick at each power of two: clients double, latencies spread over decades. */
    private static LogAxis log2Axis(String label) {
        LogAxis axis = new LogAxis(label + " (log₂ scale)");
        axis.setBase(2);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
        axis.setLowerMargin(0.05);
        axis.setUpperMargin(0.05);
        return axis;
    }

    static JFreeChart latencyChart(List<Run> runs) {
        LogAxis milliseconds = log2Axis("latency, ms");
        boolean rounds = hasRounds(runs, Run::series);
        CategoryPlot plot = barPlot(() -> latencyDataset(runs), milliseconds, false, rounds);
        plot.getDomainAxis().setMaximumCategoryLabelLines(3);
        return chart("Latency per operation kind: p50, p95, p99, max", runs, plot, true, rounds ? BAR_ROUNDS : "");
    }

    static JFreeChart storesChart(List<Run> runs) {
        NumberAxis perSecond = new NumberAxis("operations/s, all hubs");
        perSecond.setNumberFormatOverride(new DecimalFormat("#,##0"));
        NumberAxis p99 = new NumberAxis("p99 latency, ms");
        boolean rounds = hasRounds(runs, Run::series);
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(new CategoryAxis());
        plot.add(barPlot(() -> seriesDataset(runs, "operations/s", Run::perSecond), perSecond, true, rounds));
        plot.add(barPlot(() -> seriesDataset(runs, "p99 ms", run -> run.latency().get("p99")), p99, true, rounds));
        plot.getDomainAxis().setMaximumCategoryLabelLines(2);
        return chart("Throughput and p99 latency by store and hubs", runs, plot, false, rounds ? BAR_ROUNDS : "");
    }

    private static final String BAR_ROUNDS = "bar: mean of rounds, dot: each round";

    /**
     * Bars of the dataset's means; with rounds, a dot for each, from a dataset of their own (the
     * plot finds a dataset's renderer, for the legend, by the dataset).
     */
    private static CategoryPlot barPlot(Supplier<DefaultMultiValueCategoryDataset> dataset, ValueAxis axis, boolean valueLabels, boolean rounds) {
        BarRenderer bars = new BarRenderer();
        bars.setIncludeBaseInRange(!(axis instanceof LogAxis)); // a log axis has no zero
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("#,##0.#")));
        bars.setDefaultItemLabelsVisible(valueLabels);
        // at the bar's foot, clear of the dots; above a bar too short to hold it
        bars.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.INSIDE6, TextAnchor.BOTTOM_CENTER));
        bars.setPositiveItemLabelPositionFallback(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER));
        CategoryPlot plot = new CategoryPlot(dataset.get(), new CategoryAxis(), axis, bars);
        if (rounds) {
            ScatterRenderer dots = new ScatterRenderer();
            dots.setDefaultPaint(Color.DARK_GRAY);
            dots.setAutoPopulateSeriesPaint(false);
            dots.setDefaultShape(new Ellipse2D.Double(-3, -3, 6, 6));
            dots.setAutoPopulateSeriesShape(false);
            dots.setDefaultSeriesVisibleInLegend(false);
            plot.setDataset(1, dataset.get());
            plot.setRenderer(1, dots);
            plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD); // dots over the bars
        }
        return plot;
    }

    /** Whether two runs share a place: rounds of one measurement, drawn as their mean. */
    private static boolean hasRounds(List<Run> runs, Function<Run, Object> place) {
        return runs.stream().map(place).distinct().count() < runs.size();
    }

    /** The chart with a subtitle from the inputs (scenarios, clients, number of runs) and how rounds are drawn, in the common style. */
    private static JFreeChart chart(String title, List<Run> runs, Plot plot, boolean legend, String rounds) {
        JFreeChart chart = new JFreeChart(title, plot);
        chart.addSubtitle(new TextTitle("scenario " + distinct(runs, Run::scenario) + " · clients " + distinct(runs, Run::clients)
                + " · " + runs.size() + " run(s)" + (rounds.isEmpty() ? "" : " · " + rounds)));
        THEME.apply(chart);
        chart.getLegend().setVisible(legend);
        return chart;
    }

    private static <T extends Comparable<T>> String distinct(List<Run> runs, Function<Run, T> field) {
        return runs.stream().map(field).distinct().sorted().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static final StandardChartTheme THEME = theme();

    /** White, large type (the PNGs are read scaled down in Markdown), a palette that stays apart on white. */
    private static StandardChartTheme theme() {
        StandardChartTheme theme = new StandardChartTheme("bench");
        theme.setExtraLargeFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
        theme.setLargeFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
        theme.setRegularFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        theme.setSmallFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        theme.setChartBackgroundPaint(Color.WHITE);
        theme.setPlotBackgroundPaint(Color.WHITE);
        theme.setDomainGridlinePaint(Color.LIGHT_GRAY);
        theme.setRangeGridlinePaint(Color.LIGHT_GRAY);
        theme.setBarPainter(new StandardBarPainter());
        theme.setShadowVisible(false);
        Paint[] palette = Stream.of(0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f).map(Color::new).toArray(Paint[]::new);
        theme.setDrawingSupplier(new DefaultDrawingSupplier(palette, palette, DefaultDrawingSupplier.DEFAULT_OUTLINE_PAINT_SEQUENCE,
                new BasicStroke[] {new BasicStroke(2.5f)}, DefaultDrawingSupplier.DEFAULT_OUTLINE_STROKE_SEQUENCE,
                DefaultDrawingSupplier.DEFAULT_SHAPE_SEQUENCE));
        return theme;
    }
}
