package dev.tokenfab.cli.arch;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenfab.cli.arch.PackageGraph.Violation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fails the build when a package imports against the layering of {@code docs/ARCHITECTURE.md}
 * ({@link Layering} holds the rules). It lives in {@code cli} because only cli's test class path
 * holds every module's main classes.
 */
class ArchitectureTest {

    private static PackageGraph graph;

    @BeforeAll
    static void readClasses() throws IOException {
        graph = PackageGraph.fromClassPath(Repository.root());
        // The figures, for the build log: how far the code is from a clean layering.
        System.out.print(graph.figures());
    }

    @Test
    void seesEveryModule() {
        // Guards the test itself: with a module missing from the class path every rule passes vacuously.
        SortedSet<String> missing = new TreeSet<>();
        for (Layering.Component c : Layering.Component.values()) {
            if (c == Layering.Component.API) continue; // the embedding API module is optional so far
            if (graph.packages().stream().noneMatch(c::contains)) missing.add(c.module);
        }
        assertTrue(missing.isEmpty(), "no classes found for modules " + missing + " on cli's test class path");
    }

    @Test
    void everyPackageIsPlaced() {
        assertTrue(graph.unplaced().isEmpty(), "packages under no module root of Layering.Component: "
                + graph.unplaced() + "; place them in Layering and docs/ARCHITECTURE.md");
    }

    @Test
    void noImportAgainstTheLayering() {
        List<String> broken = new ArrayList<>();
        for (Violation v : graph.violations()) {
            if (Layering.KNOWN.containsKey(v.packageEdge())) continue;
            broken.add(v.rule().name() + ": " + v.use().origin() + " imports " + v.use().target());
        }
        if (!broken.isEmpty()) fail(broken.size() + " imports against the layering (docs/ARCHITECTURE.md):\n  "
                + String.join("\n  ", broken));
    }

    @Test
    void noPackageCycles() {
        List<SortedSet<String>> cycles = graph.cycles(Layering.KNOWN.keySet());
        assertTrue(cycles.isEmpty(), "package cycles (each set imports itself round): " + cycles
                + "\nwith these imports: " + edgesWithin(cycles));
    }

    @Test
    void knownExceptionsAreStillReal() {
        // The list of tolerated imports only shrinks: one that was fixed must leave the list.
        Set<String> upward = graph.upwardEdges();
        List<String> stale = new ArrayList<>();
        for (String known : Layering.KNOWN.keySet()) {
            if (!graph.packageEdges().containsKey(known)) {
                stale.add(known + " (no longer imported)");
            } else if (!upward.contains(known) && !closesCycle(known)) {
                stale.add(known + " (breaks no rule and closes no cycle now)");
            }
        }
        assertTrue(stale.isEmpty(), "remove from Layering.KNOWN and docs/ARCHITECTURE.md: " + stale);
    }

    private static boolean closesCycle(String knownEdge) {
        Set<String> others = new HashSet<>(Layering.KNOWN.keySet());
        others.remove(knownEdge);
        String[] ends = knownEdge.split(" -> ");
        for (SortedSet<String> cycle : graph.cycles(others))
            if (cycle.contains(ends[0]) && cycle.contains(ends[1])) return true;
        return false;
    }

    private static List<String> edgesWithin(List<SortedSet<String>> cycles) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<PackageGraph.ClassImport>> e : graph.packageEdges().entrySet()) {
            String[] ends = e.getKey().split(" -> ");
            for (SortedSet<String> c : cycles)
                if (c.contains(ends[0]) && c.contains(ends[1]) && !Layering.KNOWN.containsKey(e.getKey()))
                    out.add(e.getKey() + " (" + e.getValue().getFirst().origin() + " -> "
                            + e.getValue().getFirst().target() + ")");
        }
        return out;
    }
}
