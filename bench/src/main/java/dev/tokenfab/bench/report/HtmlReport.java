package dev.tokenfab.bench.report;

/**
 * The offline HTML report: one self-contained file, no CDN, no external request. The run's JSON is
 * embedded in a {@code <script type="application/json">} element and a small inline script builds
 * the table and the SVG bar charts (tokens/s, W, tokens/J per system, workload and batch) from it,
 * so what the charts show is exactly what {@code bench.json} says.
 *
 * <p>Chart elements carry their data for tests and tooling: {@code svg.chart[data-metric]},
 * {@code rect.bar[data-system][data-workload][data-batch][data-value][data-basis]}; unavailable figures
 * are drawn as {@code text.na} with the reason in a {@code title}.
 *
 * <p>Layout: each chart measures its texts once they are in the document (the larger of the
 * measured length and {@link #CHAR_PX_ESTIMATE} per character), sizes the left margin from the
 * longest row label and the SVG's width and {@code viewBox} from the furthest value-label end, so no
 * label is clipped; CSS scales a chart down in a narrower window instead of cutting it. Each value
 * label carries {@code data-end} (its reserved right edge).
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** Space reserved per character of a chart label (px, 12px system-ui): at least the digit advance
     *  of the common default sans fonts (DejaVu Sans 1303/2048 em = 7.6 px at 12px; Liberation Sans
     *  0.556 em = 6.7 px), rounded up. The page uses the larger of this and the measured length. */
    public static final double CHAR_PX_ESTIMATE = 8.0;

    /** @param json the run as written to bench.json */
    public static String render(String json) {
        // "</" inside a script element would end it early; "<\/" is the same JSON string
        String embedded = json.replace("</", "<\\/");
        return TEMPLATE.replace("%%CHAR_PX%%", Double.toString(CHAR_PX_ESTIMATE)).replace("%%DATA%%", embedded);
    }

    private static final String TEMPLATE = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>tokenfab bench report</title>
            <style>
              body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
              h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
              table { border-collapse: collapse; margin: .5em 0; }
              td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
              th { background: #f3f3f3; } td.l, th.l { text-align: left; }
              .measured { fill: #2b6cb0; } .modeled { fill: url(#hatch); stroke: #c05621; }
              .basis-modeled { color: #c05621; } .basis-unavailable { color: #999; }
              .note { color: #555; font-size: .9em; }
              svg text { font: 12px system-ui, sans-serif; }
              svg.chart { max-width: 100%; height: auto; }  /* narrower windows scale the chart (viewBox), never cut it */
            </style>
            </head>
            <body>
            <h1>tokenfab bench report</h1>
            <p class="note">Blue bars: measured. Hatched orange bars: modeled (never mixed with measured figures).
            Grey "n/a": unavailable, hover for the reason.</p>
            <div id="meta"></div>
            <div id="charts"></div>
            <h2>All figures</h2>
            <div id="table"></div>
            <script type="application/json" id="bench-data">%%DATA%%</script>
            <script>
            (function () {
              "use strict";
              var run = JSON.parse(document.getElementById("bench-data").textContent);
              var SVG = "http://www.w3.org/2000/svg";
              var CHARTS = [["tokensPerSecond", "tokens/s"], ["averageWatts", "W"], ["tokensPerJoule", "tokens/J"]];
              function el(tag, attrs, text) {
                var e = document.createElement(tag);
                for (var k in attrs) e.setAttribute(k, attrs[k]);
                if (text !== undefined) e.textContent = text;
                return e;
              }
              function sv(tag, attrs, text) {
                var e = document.createElementNS(SVG, tag);
                for (var k in attrs) e.setAttribute(k, attrs[k]);
                if (text !== undefined) e.textContent = text;
                return e;
              }
              // Advance per character of 12px system-ui (HtmlReport.CHAR_PX_ESTIMATE). A text takes the larger
              // of its measured length and this estimate: labels fit even where nothing can be measured
              // (text not laid out), and tests can check the reserve. Only the text's own characters
              // count, not a <title> child (the hover reason is not drawn).
              var CHAR_PX = %%CHAR_PX%%, LABEL_GAP = 8, MIN_LABEL_W = 120, RIGHT_PAD = 12;
              function textPx(t) {
                var measured = 0;
                try { measured = t.getComputedTextLength(); } catch (e) { measured = 0; }
                return Math.max(measured || 0, t.firstChild.nodeValue.length * CHAR_PX);
              }
              function fmt(v) { return v === null ? "n/a" : (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString()); }

              var meta = document.getElementById("meta");
              var m = run.machine;
              meta.appendChild(el("p", {}, "Machine: " + m.hostName + ", " + m.cpuModel + ", " + m.logicalCores + " cores, " + m.os
                + (m.accelerators ? ", " + m.accelerators : "") + ". Created " + run.createdUtc + "."));
              meta.appendChild(el("p", {}, "Versions: " + Object.keys(run.versions).map(function (k) { return k + " " + run.versions[k]; }).join(", ")));
              var sys = el("ul", {id: "systems"});
              run.systems.forEach(function (s) {
                sys.appendChild(el("li", {"data-system": s.name}, s.name + ": " + s.description
                  + (s.available ? "" : " (unavailable: " + s.unavailableReason + ")")
                  + (s.headlineNote ? " [" + s.headlineNote + "]" : "")));
              });
              meta.appendChild(sys);

              var charts = document.getElementById("charts");
              CHARTS.forEach(function (c) {
                var key = c[0], unit = c[1];
                var rows = run.results;
                var max = 0;
                rows.forEach(function (r) { var f = r.figures[key]; if (f && f.value !== null && f.value > max) max = f.value; });
                var rowH = 22, barW = 420, h = rows.length * rowH + 30;
                charts.appendChild(el("h2", {}, key + " (" + unit + ")"));
                var svg = sv("svg", {"class": "chart", "data-metric": key, height: h,
                                     role: "img", "aria-label": key + " per system, workload and batch"});
                var defs = sv("defs", {});
                var pat = sv("pattern", {id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)"});
                pat.appendChild(sv("rect", {width: 6, height: 6, fill: "#fbd38d"}));
                pat.appendChild(sv("line", {x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#c05621", "stroke-width": 3}));
                defs.appendChild(pat); svg.appendChild(defs);
                // In the document before layout, so every text can be measured; x and the width come after.
                charts.appendChild(svg);
                var items = rows.map(function (r, i) {
                  var f = r.figures[key] || {value: null, basis: "UNAVAILABLE", source: "not reported", unit: unit};
                  var y = 10 + i * rowH;
                  var g = sv("g", {"class": "row", "data-system": r.system, "data-workload": r.workload, "data-batch": r.batch});
                  var it = {w: 0, bar: null};
                  it.label = sv("text", {"class": "label", y: y + 14, "text-anchor": "end"},
                                r.system + " \\u00b7 " + r.workload + " \\u00b7 batch " + r.batch);
                  g.appendChild(it.label);
                  if (f.value === null) {
                    it.value = sv("text", {"class": "na", y: y + 14, fill: "#999"}, "n/a");
                    it.value.appendChild(sv("title", {}, f.source));
                    it.gap = 4;
                  } else {
                    it.w = max > 0 ? Math.max(1, barW * f.value / max) : 1;
                    it.bar = sv("rect", {"class": "bar " + f.basis.toLowerCase(), y: y + 2, width: it.w, height: rowH - 6,
                                          "data-system": r.system, "data-workload": r.workload, "data-batch": r.batch,
                                          "data-value": String(f.value), "data-basis": f.basis});
                    it.bar.appendChild(sv("title", {}, f.basis.toLowerCase() + ": " + f.source));
                    g.appendChild(it.bar);
                    it.value = sv("text", {"class": "value", y: y + 14}, fmt(f.value) + " " + unit
                                  + (f.basis === "MODELED" ? " (modeled)" : ""));
                    it.gap = 6;
                  }
                  g.appendChild(it.value);
                  svg.appendChild(g);
                  return it;
                });
                // Reserve room for the longest label on each side so none is clipped by the SVG's edges.
                var labelW = MIN_LABEL_W;
                items.forEach(function (it) { labelW = Math.max(labelW, Math.ceil(textPx(it.label)) + LABEL_GAP * 2); });
                var right = labelW + barW;
                items.forEach(function (it) {
                  it.label.setAttribute("x", labelW - LABEL_GAP);
                  if (it.bar) it.bar.setAttribute("x", labelW);
                  var vx = labelW + it.w + it.gap;
                  it.value.setAttribute("x", vx);
                  var end = Math.ceil(vx + textPx(it.value));
                  it.value.setAttribute("data-end", end);
                  right = Math.max(right, end);
                });
                var width = right + RIGHT_PAD;
                svg.setAttribute("width", width);
                svg.setAttribute("viewBox", "0 0 " + width + " " + h);
                var reasons = [];
                rows.forEach(function (r) { var f = r.figures[key]; if (f && f.value === null && reasons.indexOf(f.source) < 0) reasons.push(f.source); });
                if (reasons.length) charts.appendChild(el("p", {"class": "note na-reasons", "data-metric": key}, "n/a because: " + reasons.join(" | ")));
              });

              var keys = [];
              run.results.forEach(function (r) { Object.keys(r.figures).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
              var t = el("table", {id: "figures"});
              var head = el("tr", {});
              ["system", "workload", "batch", "requests"].forEach(function (h) { head.appendChild(el("th", {"class": "l"}, h)); });
              keys.forEach(function (k) { head.appendChild(el("th", {}, k)); });
              t.appendChild(head);
              run.results.forEach(function (r) {
                var tr = el("tr", {});
                [r.system, r.workload, r.batch, r.requests].forEach(function (v) { tr.appendChild(el("td", {"class": "l"}, String(v))); });
                keys.forEach(function (k) {
                  var f = r.figures[k];
                  var td = el("td", {"class": "basis-" + (f ? f.basis.toLowerCase() : "unavailable"), title: f ? f.basis.toLowerCase() + ": " + f.source : ""},
                              f ? fmt(f.value) + (f.value === null ? "" : " " + f.unit) + (f.basis === "MODELED" ? " (modeled)" : "") : "");
                  tr.appendChild(td);
                });
                t.appendChild(tr);
              });
              document.getElementById("table").appendChild(t);
              document.body.setAttribute("data-rendered", "true");
            })();
            </script>
            </body>
            </html>
            """;
}
