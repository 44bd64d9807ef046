package dev.tokenfab.bench.report;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bench.result.BenchRun;
import dev.tokenfab.bench.result.Figure;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

    @Test
    void jsonRoundTripsAndHtmlIsSelfContained(@TempDir Path dir) throws Exception {
        BenchRun run = SampleRuns.twoSystems();
        ReportWriter.Written w = ReportWriter.write(run, dir.resolve("out"));
        assertEquals(run, ReportWriter.read(w.json()));
        String json = Files.readString(w.json());
        assertTrue(json.contains("\"tokensPerSecond\"") && json.contains("\"basis\" : \"MODELED\""), json);
        String html = Files.readString(w.html());
        assertFalse(html.contains("http://") && html.replace("http://www.w3.org/2000/svg", "").contains("http://"),
                "no external URL but the SVG namespace");
        assertFalse(html.contains("https://"), "no CDN");
        assertFalse(html.contains("src="), "no external script or image");
        // the reason text "</script>" must not end the data element early
        assertEquals(3, html.split("</script>", -1).length, "exactly two script elements");
        try (var s = Files.list(dir.resolve("out"))) {
            assertEquals(2, s.count(), "no temp files left behind");
        }
    }

    @Test
    void figureRefusesNanAndUnlabeledValues() {
        assertThrows(IllegalArgumentException.class, () -> new Figure(Double.NaN, "W", Figure.Basis.MEASURED, "x"));
        assertThrows(IllegalArgumentException.class, () -> new Figure(null, "W", Figure.Basis.MEASURED, "x"));
        assertFalse(Figure.measured(Double.NaN, "W", "rapl").available());
        Figure d = Figure.derive(2.0, "tokens/J", Figure.measured(10, "tokens/s", "clock"), Figure.modeled(5, "W", "model"), "ratio");
        assertEquals(Figure.Basis.MODELED, d.basis(), "anything derived from a modeled input is modeled");
    }
}
