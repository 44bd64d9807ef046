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
