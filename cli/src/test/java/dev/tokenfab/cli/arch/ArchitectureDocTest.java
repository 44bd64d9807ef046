package dev.tokenfab.cli.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenfab.cli.arch.Layering.Component;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Keeps {@code docs/ARCHITECTURE.md} true: its Mermaid pictures of modules and of packages must
 * equal the module dependencies in the POMs and the package imports of the code, every module must
 * have a README, and every POM dependency must be one the layering allows. A new dependency without
 * a doc update fails here, with the block to paste. To rewrite the blocks in place instead:
 * {@code ./mvnw -B -o -q test -pl cli -am -Dtest=ArchitectureDocTest -Dsurefire.failIfNoSpecifiedTests=false -Dtokenfab.updateDocs=true}.
 */
class ArchitectureDocTest {

    static final String DOC = "docs/ARCHITECTURE.md";
    static final String MODULES_MARKER = "<!-- graph:modules -->";
    static final String PACKAGES_MARKER = "<!-- graph:packages %s -->";
    static final String KNOWN_MARKER = "<!-- known-exceptions -->";
    private static final Pattern KNOWN_ROW = Pattern.compile("^\\| `([\\w.]+ -> [\\w.]+)` \\|");
    private static final boolean UPDATE = Boolean.getBoolean("tokenfab.updateDocs");
    private static final Pattern EDGE = Pattern.compile("^\\s*(\\w+)\\s*(-->|-\\.->)\\s*(\\w+)\\s*$");
    private static final Pattern NODE = Pattern.compile("^\\s*(\\w+)(?:\\[\"[^\"]*\"])?\\s*$");

    private static Path root;
    private static PackageGraph graph;

    @BeforeAll
    static void read() throws IOException {
        root = Repository.root();
        graph = PackageGraph.fromClassPath(root);
    }

    /**
     * READMEs being written on other branches of issue 8 when this check was added. Once one exists
     * its module must leave this set (the check fails until it does), so the set only shrinks.
     */
    static final Set<String> README_WRITTEN_ELSEWHERE = Set.of();

    @Test
    void everyModuleHasAReadme() throws Exception {
        List<String> missing = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        for (String m : modules()) {
            boolean has = Files.isRegularFile(root.resolve(m).resolve("README.md"));
            if (!has && !README_WRITTEN_ELSEWHERE.contains(m)) missing.add(m);
            if (has && README_WRITTEN_ELSEWHERE.contains(m)) stale.add(m);
        }
        assertTrue(missing.isEmpty(), "modules without README.md: " + missing);
        assertTrue(stale.isEmpty(), "these modules have a README now; remove them from README_WRITTEN_ELSEWHERE: " + stale);
    }

    @Test
    void everyModuleIsPlacedInTheLayering() throws Exception {
        List<String> unplaced = new ArrayList<>();
        for (String m : modules()) if (Component.ofModule(m).isEmpty()) unplaced.add(m);
        assertTrue(unplaced.isEmpty(), "modules not in Layering.Component (and docs/ARCHITECTURE.md): " + unplaced);
    }

    @Test
    void pomDependenciesFollowTheLayering() throws Exception {
        List<String> broken = new ArrayList<>();
        for (Map.Entry<String, SortedSet<String>> e : moduleDependencies().entrySet()) {
            Component from = Component.ofModule(e.getKey()).orElseThrow();
            for (String dep : e.getValue()) {
                Component to = Component.ofModule(dep).orElseThrow();
                if (!Layering.ALLOWED.get(from).contains(to)) broken.add(e.getKey() + " -> " + dep);
            }
        }
        assertTrue(broken.isEmpty(), "compile-scope module dependencies against the layering: " + broken);
    }

    @Test
    void moduleGraphMatchesThePoms() throws Exception {
        StringBuilder block = new StringBuilder("flowchart TD\n");
        for (String m : modules()) block.append("  ").append(id(m)).append("[\"").append(m).append("\"]\n");
        moduleDependencies().forEach((from, tos) -> tos.forEach(to ->
                block.append("  ").append(id(from)).append(" --> ").append(id(to)).append('\n')));
        checkBlock(MODULES_MARKER, block.toString());
    }

    @Test
    void packageGraphsMatchTheCode() throws Exception {
        for (Component c : Component.values()) {
            SortedSet<String> nodes = new TreeSet<>();
            for (String p : graph.packages()) if (c.contains(p)) nodes.add(node(c, p));
            String marker = PACKAGES_MARKER.formatted(c.module);
            if (nodes.size() < 2) continue; // one package: nothing to draw
            SortedSet<String> solid = new TreeSet<>();
            SortedSet<String> known = new TreeSet<>();
            graph.packageEdges().forEach((edge, uses) -> {
                String from = uses.getFirst().originPackage();
                String to = uses.getFirst().targetPackage();
                if (!c.contains(from) || !c.contains(to)) return;
                String a = node(c, from), b = node(c, to);
                if (a.equals(b)) return;
                (Layering.KNOWN.containsKey(edge) ? known : solid).add(a + " " + b);
            });
            known.removeAll(solid); // dotted only where every import behind the arrow is a known exception
            StringBuilder block = new StringBuilder("flowchart LR\n");
            for (String n : nodes) block.append("  ").append(n).append('\n');
            for (String e : solid) block.append("  ").append(e.replace(" ", " --> ")).append('\n');
            for (String e : known) block.append("  ").append(e.replace(" ", " -.-> ")).append('\n');
            checkBlock(marker, block.toString());
        }
    }

    @Test
    void knownExceptionsTableMatchesTheLayering() throws IOException {
        String text = Files.readString(root.resolve(DOC));
        int at = text.indexOf(KNOWN_MARKER);
        assertTrue(at >= 0, DOC + " lacks " + KNOWN_MARKER + " and its table of Layering.KNOWN");
        SortedSet<String> documented = new TreeSet<>();
        for (String line : text.substring(at).split("\n")) {
            Matcher row = KNOWN_ROW.matcher(line);
            if (row.find()) documented.add(row.group(1));
            else if (line.isBlank() && !documented.isEmpty()) break;
        }
        assertEquals(new TreeSet<>(Layering.KNOWN.keySet()), documented,
                DOC + ": the table after " + KNOWN_MARKER + " must list exactly Layering.KNOWN");
    }

    /** A package's node in its module's picture: the root package by the module's name, else its first segment. */
    static String node(Component c, String pkg) {
        if (pkg.equals(c.packageRoot())) return c.relativeName();
        String rest = pkg.substring(c.packageRoot().length() + 1);
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    private static String id(String module) {
        return module.replace('-', '_');
    }

    /** Compares the Mermaid block after {@code marker} with {@code expected}, edge by edge, node by node. */
    private static void checkBlock(String marker, String expected) throws IOException {
        Path doc = root.resolve(DOC);
        String text = Files.readString(doc);
        int at = text.indexOf(marker);
        int open = at < 0 ? -1 : text.indexOf("```mermaid\n", at);
        int close = open < 0 ? -1 : text.indexOf("```", open + 11);
        if (UPDATE && open >= 0 && close >= 0) {
            Files.writeString(doc, text.substring(0, open + 11) + expected + text.substring(close));
            return;
        }
        String fix = "\n" + marker + "\n```mermaid\n" + expected + "```\n(or run with -Dtokenfab.updateDocs=true)";
        if (open < 0 || close < 0) fail(DOC + " lacks the block " + marker + "; add:" + fix);
        assertEquals(parse(expected), parse(text.substring(open + 11, close)),
                DOC + ", block " + marker + " does not match the code; it should read:" + fix);
    }

    /** Nodes and edges of a Mermaid flowchart, order ignored; "-.->" (a known exception) kept distinct from "-->". */
    private static SortedSet<String> parse(String mermaid) {
        SortedSet<String> out = new TreeSet<>();
        for (String line : mermaid.split("\n")) {
            Matcher e = EDGE.matcher(line);
            Matcher n = NODE.matcher(line);
            if (e.matches()) out.add(e.group(1) + " " + e.group(2) + " " + e.group(3));
            else if (n.matches() && !line.strip().startsWith("flowchart")) out.add(n.group(1));
        }
        return out;
    }

    /** The root POM's modules, in build order. */
    static List<String> modules() throws Exception {
        Element project = pom(root.resolve("pom.xml"));
        List<String> out = new ArrayList<>();
        for (Element modules : children(project, "modules"))
            for (Element m : children(modules, "module")) out.add(m.getTextContent().strip());
        return out;
    }

    /** Module folder -> the tokenfab module folders it depends on at compile (or runtime) scope. */
    static Map<String, SortedSet<String>> moduleDependencies() throws Exception {
        // A module's artifactId need not be its folder's name (the API module's artifact is "tokenfab").
        Map<String, String> folderOfArtifact = new TreeMap<>();
        for (String m : modules()) folderOfArtifact.put(text(pom(root.resolve(m).resolve("pom.xml")), "artifactId"), m);
        Map<String, SortedSet<String>> out = new LinkedHashMap<>();
        for (String m : modules()) {
            SortedSet<String> deps = new TreeSet<>();
            for (Element list : children(pom(root.resolve(m).resolve("pom.xml")), "dependencies"))
                for (Element d : children(list, "dependency")) {
                    String scope = text(d, "scope");
                    if ("dev.tokenfab".equals(text(d, "groupId")) && (scope == null || scope.equals("compile") || scope.equals("runtime")))
                        deps.add(folderOf(folderOfArtifact, text(d, "artifactId"), m));
                }
            out.put(m, deps);
        }
        return new TreeMap<>(out);
    }

    private static String folderOf(Map<String, String> folderOfArtifact, String artifactId, String dependent) {
        String folder = folderOfArtifact.get(artifactId);
        if (folder == null) throw new IllegalStateException(dependent + "/pom.xml depends on dev.tokenfab:" + artifactId
                + ", which is no module of the root POM");
        return folder;
    }

    private static Element pom(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile()).getDocumentElement();
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
            if (n instanceof Element e && e.getTagName().equals(name)) out.add(e);
        return out;
    }

    private static String text(Element parent, String name) {
        List<Element> c = children(parent, name);
        return c.isEmpty() ? null : c.getFirst().getTextContent().strip();
    }
}
