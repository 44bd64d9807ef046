package dev.tokenfab.bench.report;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bench.result.BenchRun;
import dev.tokenfab.bench.result.Figure;
import dev.tokenfab.bench.result.ResultRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens the report in a real headless Chromium, offline, and checks that the page's script built
 * the charts from the embedded JSON: every available figure is a bar whose data-value is the JSON
 * number, every unavailable one an "n/a" with its reason.
 */
class HtmlReportBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final int BROWSER_TIMEOUT_SECONDS = 90;

    @Test
    void chartsAreRenderedFromTheJsonInHeadlessChromium(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
                "no " + CHROMIUM + ": skipping the browser test (apt-get install -y chromium)");
        BenchRun run = SampleRuns.twoSystems();
        ReportWriter.Written w = ReportWriter.write(run, dir.resolve("report"));
        String dom = dumpDom(w.html(), dir.resolve("profile"));
        assertTrue(dom.contains("data-rendered=\"true\""), "the page script ran to the end:\n" + head(dom));

        for (String metric : List.of("tokensPerSecond", "averageWatts", "tokensPerJoule")) {
            String chart = chart(dom, metric);
            for (ResultRow r : run.results()) {
                Figure f = r.figure(metric);
                String rowOpen = "data-system=\"" + r.system() + "\" data-workload=\"" + r.workload() + "\" data-batch=\"" + r.batch() + "\"";
                if (f.available()) {
                    Matcher m = Pattern.compile("<rect class=\"bar " + f.basis().name().toLowerCase() + "\"[^>]*" + Pattern.quote(rowOpen)
                            + "[^>]*data-value=\"([^\"]+)\"").matcher(chart);
                    assertTrue(m.find(), metric + ": no " + f.basis() + " bar for " + rowOpen + " in\n" + chart);
                    assertEquals(f.value(), Double.parseDouble(m.group(1)), 0.0, metric + " bar value for " + rowOpen);
                } else {
                    int at = chart.indexOf("<g class=\"row\" " + rowOpen);
                    assertTrue(at >= 0, metric + ": no row " + rowOpen);
                    String row = chart.substring(at, chart.indexOf("</g>", at));
                    assertTrue(row.contains("class=\"na\"") && row.contains("n/a"), row);
                    assertTrue(row.contains("no power sensor on testhost &lt;/script&gt;&lt;b&gt;") || !metric.equals("averageWatts"),
                            "the reason is shown as text, escaped: " + row);
                }
            }
        }
        assertTrue(dom.contains("55.5 tokens/s (modeled)"), "modeled value labeled in the chart");
        assertTrue(dom.contains("<table id=\"figures\">"), "table rendered");
        assertTrue(dom.contains("n/a because: no power sensor on testhost"), "reasons for n/a listed under the chart");
    }

    /**
     * The widest value label sits at the end of the longest bar (a modeled 47985 tokens/s): every
     * value label must be complete in the DOM and inside the SVG's viewBox, as must the row labels
     * on the left, with each text's width taken as at least {@link HtmlReport#CHAR_PX_ESTIMATE} per
     * character (what the page reserves when it cannot measure).
     */
    @Test
    void valueLabelsAreCompleteAndInsideTheViewBox(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
                "no " + CHROMIUM + ": skipping the browser test (apt-get install -y chromium)");
        BenchRun run = SampleRuns.longestBarModeled();
        ReportWriter.Written w = ReportWriter.write(run, dir.resolve("report"));
        String dom = dumpDom(w.html(), dir.resolve("profile"));
        assertTrue(dom.contains("data-rendered=\"true\""), "the page script ran to the end:\n" + head(dom));
        assertTrue(dom.contains(">47985 tokens/s (modeled)</text>"), "the longest label is complete in the DOM");

        for (String metric : List.of("tokensPerSecond", "averageWatts", "tokensPerJoule")) {
            String chart = chart(dom, metric);
            Matcher vb = Pattern.compile("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"").matcher(chart);
            assertTrue(vb.find(), metric + ": the chart has a viewBox: " + chart);
            double viewBoxWidth = Double.parseDouble(vb.group(1));
            Matcher width = Pattern.compile(" width=\"([0-9.]+)\"").matcher(chart.substring(0, chart.indexOf('>')));
            assertTrue(width.find() && Double.parseDouble(width.group(1)) == viewBoxWidth, metric + ": width equals the viewBox width");

            Matcher value = Pattern.compile("<text class=\"value\"([^>]*)>([^<]*)</text>").matcher(chart);
            Matcher bar = Pattern.compile("<rect class=\"bar [^\"]*\"([^>]*)>").matcher(chart);
            int checked = 0;
            for (ResultRow r : run.results()) {
                Figure f = r.figure(metric);
                if (!f.available()) continue;
                assertTrue(bar.find() && value.find(), metric + ": a bar and a value label for " + r);
                double barEnd = attr(bar.group(1), "x") + attr(bar.group(1), "width");
                String text = value.group(2);
                Matcher parts = Pattern.compile("(-?[0-9.]+) " + Pattern.quote(f.unit()) + "( \\(modeled\\))?").matcher(text);
                assertTrue(parts.matches(), metric + ": label '" + text + "' is the whole number, unit and basis for " + r);
                assertEquals(f.value(), Double.parseDouble(parts.group(1)), Math.max(0.5, Math.abs(f.value()) * 5e-4), text);
                assertEquals(f.basis() == Figure.Basis.MODELED, parts.group(2) != null, "(modeled) suffix iff modeled: " + text);
                double x = attr(value.group(1), "x");
                assertTrue(x > barEnd, metric + ": label '" + text + "' starts after its bar (" + x + " > " + barEnd + ")");
                double needed = x + text.length() * HtmlReport.CHAR_PX_ESTIMATE;
                assertTrue(viewBoxWidth >= needed, metric + ": viewBox width " + viewBoxWidth + " < bar end + label estimate "
                        + needed + " for '" + text + "'");
                assertTrue(viewBoxWidth >= attr(value.group(1), "data-end"), metric + ": measured end inside the viewBox for '" + text + "'");
                checked++;
            }
            assertFalse(value.find(), metric + ": no value label without a figure");
            assertTrue(checked > 0, metric + ": some labels checked");

            Matcher label = Pattern.compile("<text class=\"label\"([^>]*)>([^<]*)</text>").matcher(chart);
            int labels = 0;
            while (label.find()) {
                double start = attr(label.group(1), "x") - label.group(2).length() * HtmlReport.CHAR_PX_ESTIMATE;
                assertTrue(start >= 0, metric + ": row label '" + label.group(2) + "' would start left of the SVG at " + start);
                labels++;
            }
            assertEquals(run.results().size(), labels, metric + ": one row label per result");
        }
    }

    /** A numeric attribute of a serialized element's attribute list. */
    static double attr(String attributes, String name) {
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "=\"([^\"]+)\"").matcher(attributes);
        assertTrue(m.find(), "no " + name + " in " + attributes);
        return Double.parseDouble(m.group(1));
    }

    static String dumpDom(Path html, Path profile) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--user-data-dir=" + profile, "--dump-dom", html.toUri().toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(BROWSER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in " + BROWSER_TIMEOUT_SECONDS + " s");
        }
        assertEquals(0, p.exitValue(), "chromium exit code");
        return new String(out, java.nio.charset.StandardCharsets.UTF_8);
    }

    static String chart(String dom, String metric) {
        int at = dom.indexOf("data-metric=\"" + metric + "\"");
        assertTrue(at >= 0, "no chart for " + metric + " in:\n" + head(dom));
        return dom.substring(at, dom.indexOf("</svg>", at));
    }

    static String head(String s) { return s.length() > 3000 ? s.substring(0, 3000) + "..." : s; }
}
