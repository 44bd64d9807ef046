package dev.tokenfab.cli.arch;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.tokenfab.cli.arch.Layering.Component;
import dev.tokenfab.cli.arch.Layering.Rule;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The package graph of tokenfab's main (non-test) classes: which package imports which, through
 * which classes, and what of it breaks {@link Layering}. Read from class files with ArchUnit, so an
 * "import" is any use a class file records (field and method types, calls, inheritance, annotations).
 *
 * <p>As a program it prints per module the figures of issue 8: packages, package imports, two-way
 * ties (pairs of packages importing each other), upward imports (package imports with at least one
 * class import against the layering) and package cycles. Usage, on any build's class folders:
 * {@code docs/tools/package-graph.sh [repository root]}. Imports are read from class files and from
 * the {@code import} lines of the sources (javac inlines compile-time constants, so a class file
 * alone can miss an import).
 */
final class PackageGraph {

    /** One class-level import: {@code origin} (binary name) uses {@code target}. */
    record ClassImport(String origin, String target) {
        String originPackage() { return Layering.packageOf(origin); }
        String targetPackage() { return Layering.packageOf(target); }
    }

    /** A class import that breaks {@code rule}. */
    record Violation(Rule rule, ClassImport use) {
        String packageEdge() {
            return edge(use.originPackage(), use.targetPackage());
        }
    }

    /** Package -> imported package -> the class imports behind that edge (self-imports left out). */
    private final SortedMap<String, SortedMap<String, List<ClassImport>>> edges = new TreeMap<>();
    private final SortedSet<String> packages = new TreeSet<>();

    private PackageGraph() {}

    /**
     * Main classes of every module on the class path (test classes left out), plus the source
     * {@code import} lines of every module's {@code src/main/java} under {@code repositoryRoot}.
     */
    static PackageGraph fromClassPath(Path repositoryRoot) throws IOException {
        PackageGraph g = of(new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(Layering.ROOT));
        g.addSourceImports(repositoryRoot);
        return g;
    }

    /** Every {@code <module>/target/classes} and {@code <module>/src/main/java} under a repository root. */
    static PackageGraph fromRepository(Path repositoryRoot) throws IOException {
        List<Path> classFolders = new ArrayList<>();
        try (DirectoryStream<Path> modules = Files.newDirectoryStream(repositoryRoot, Files::isDirectory)) {
            for (Path m : modules) if (Files.isDirectory(m.resolve("target/classes"))) classFolders.add(m.resolve("target/classes"));
        }
        PackageGraph g = of(new ClassFileImporter().importPaths(classFolders));
        g.addSourceImports(repositoryRoot);
        return g;
    }

    static PackageGraph of(JavaClasses classes) {
        PackageGraph g = new PackageGraph();
        for (JavaClass c : classes) {
            if (!isOurs(c.getPackageName())) continue;
            g.packages.add(c.getPackageName());
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass().getBaseComponentType();
                String to = target.getPackageName();
                if (!isOurs(to) || to.equals(c.getPackageName())) continue;
                g.edges.computeIfAbsent(c.getPackageName(), k -> new TreeMap<>())
                        .computeIfAbsent(to, k -> new ArrayList<>())
                        .add(new ClassImport(c.getName(), target.getName()));
            }
        }
        return g;
    }

    private static final Pattern PACKAGE_LINE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT_LINE =
            Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+?)(?:\\.\\*)?\\s*;", Pattern.MULTILINE);

    /**
     * Adds the {@code import} lines of every main source file: class files miss the uses javac
     * inlines (compile-time constants such as {@code PackageWriter.REPORTS_DIR}), source lines do not.
     */
    private void addSourceImports(Path repositoryRoot) throws IOException {
        try (DirectoryStream<Path> modules = Files.newDirectoryStream(repositoryRoot, Files::isDirectory)) {
            for (Path m : modules) {
                Path src = m.resolve("src/main/java");
                if (!Files.isDirectory(src)) continue;
                try (Stream<Path> files = Files.walk(src)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) addImportsOf(f);
                }
            }
        }
    }

    private void addImportsOf(Path javaFile) throws IOException {
        String text = Files.readString(javaFile);
        Matcher pkgLine = PACKAGE_LINE.matcher(text);
        if (!pkgLine.find()) return;
        String from = pkgLine.group(1);
        if (!isOurs(from)) return;
        packages.add(from);
        String origin = from + "." + javaFile.getFileName().toString().replace(".java", "");
        Matcher imp = IMPORT_LINE.matcher(text);
        while (imp.find()) {
            String to = packageOfImport(imp.group(1));
            if (!isOurs(to) || to.equals(from)) continue;
            List<ClassImport> uses = edges.computeIfAbsent(from, k -> new TreeMap<>()).computeIfAbsent(to, k -> new ArrayList<>());
            ClassImport use = new ClassImport(origin, to + "." + imp.group(1).substring(to.length() + 1).replace('.', '$'));
            if (!uses.contains(use)) uses.add(use);
        }
    }

    /** "a.b.C.D" (a nested class or a static member) and "a.b.C" give "a.b"; "a.b" (a wildcard import) stays. */
    static String packageOfImport(String name) {
        String[] parts = name.split("\\.");
        StringBuilder pkg = new StringBuilder();
        for (String p : parts) {
            if (Character.isUpperCase(p.charAt(0))) break;
            if (!pkg.isEmpty()) pkg.append('.');
            pkg.append(p);
        }
        return pkg.toString();
    }

    private static boolean isOurs(String pkg) {
        return pkg.equals(Layering.ROOT) || pkg.startsWith(Layering.ROOT + ".");
    }

    static String edge(String fromPackage, String toPackage) {
        return Layering.relative(fromPackage) + " -> " + Layering.relative(toPackage);
    }

    SortedSet<String> packages() { return packages; }

    /** Every package import, as "from -> to" (relative names), with the class imports behind it. */
    SortedMap<String, List<ClassImport>> packageEdges() {
        SortedMap<String, List<ClassImport>> all = new TreeMap<>();
        edges.forEach((from, tos) -> tos.forEach((to, uses) -> all.put(edge(from, to), uses)));
        return all;
    }

    /** Packages under no component: a new package root nobody has placed in the layering yet. */
    SortedSet<String> unplaced() {
        SortedSet<String> out = new TreeSet<>();
        for (String p : packages) if (Component.of(p).isEmpty()) out.add(p);
        return out;
    }

    /** Every class import that breaks a rule, known exceptions included. */
    List<Violation> violations() {
        List<Violation> out = new ArrayList<>();
        for (List<ClassImport> uses : packageEdges().values())
            for (ClassImport use : uses)
                for (Rule r : Layering.RULES)
                    if (r.breaks(use.origin(), use.targetPackage())) out.add(new Violation(r, use));
        return out;
    }

    /** Package imports with at least one class import against the layering. */
    SortedSet<String> upwardEdges() {
        SortedSet<String> out = new TreeSet<>();
        for (Violation v : violations()) out.add(v.packageEdge());
        return out;
    }

    /** Pairs of packages that import each other, as "a <-> b" with a < b. */
    SortedSet<String> twoWayTies() {
        SortedSet<String> out = new TreeSet<>();
        edges.forEach((from, tos) -> tos.keySet().forEach(to -> {
            if (from.compareTo(to) < 0 && edges.getOrDefault(to, new TreeMap<>()).containsKey(from))
                out.add(Layering.relative(from) + " <-> " + Layering.relative(to));
        }));
        return out;
    }

    /**
     * Package cycles: strongly connected sets of two or more packages, after leaving out the package
     * imports named in {@code ignoredEdges} ("from -> to").
     */
    List<SortedSet<String>> cycles(Set<String> ignoredEdges) {
        Map<String, List<String>> adj = new HashMap<>();
        edges.forEach((from, tos) -> tos.keySet().forEach(to -> {
            if (!ignoredEdges.contains(edge(from, to))) adj.computeIfAbsent(from, k -> new ArrayList<>()).add(to);
        }));
        return new Tarjan(adj).components();
    }

    /** Tarjan's strongly connected components; only those with two or more members are kept. */
    private static final class Tarjan {
        private final Map<String, List<String>> adj;
        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> low = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<SortedSet<String>> found = new ArrayList<>();
        private int next;

        Tarjan(Map<String, List<String>> adj) { this.adj = adj; }

        List<SortedSet<String>> components() {
            for (String v : new TreeSet<>(adj.keySet())) if (!index.containsKey(v)) visit(v);
            return found;
        }

        private void visit(String v) {
            index.put(v, next);
            low.put(v, next);
            next++;
            stack.push(v);
            onStack.add(v);
            for (String w : adj.getOrDefault(v, List.of())) {
                if (!index.containsKey(w)) {
                    visit(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                SortedSet<String> scc = new TreeSet<>();
                String w;
                do {
                    w = stack.pop();
                    onStack.remove(w);
                    scc.add(Layering.relative(w));
                } while (!w.equals(v));
                if (scc.size() > 1) found.add(scc);
            }
        }
    }

    /** The figures of issue 8, one line per module (by package root), then the totals. */
    String figures() {
        StringBuilder out = new StringBuilder(String.format("%-12s %8s %8s %8s %8s %8s%n",
                "module", "packages", "imports", "two-way", "upward", "cycles"));
        SortedSet<String> ties = twoWayTies();
        SortedSet<String> upward = upwardEdges();
        List<SortedSet<String>> cycles = cycles(Set.of());
        SortedMap<String, String> moduleOf = new TreeMap<>();
        for (String p : packages) moduleOf.put(Layering.relative(p), Component.of(p).map(c -> c.module).orElse("(unplaced)"));
        SortedSet<String> modules = new TreeSet<>(moduleOf.values());
        int[] total = new int[5];
        for (String m : modules) {
            int pkgs = (int) moduleOf.values().stream().filter(m::equals).count();
            int imports = (int) packageEdges().keySet().stream().filter(e -> m.equals(moduleOf.get(from(e)))).count();
            int tw = (int) ties.stream().filter(t -> m.equals(moduleOf.get(t.substring(0, t.indexOf(" <-> "))))).count();
            int up = (int) upward.stream().filter(e -> m.equals(moduleOf.get(from(e)))).count();
            int cy = (int) cycles.stream().filter(c -> m.equals(moduleOf.get(c.first()))).count();
            out.append(String.format("%-12s %8d %8d %8d %8d %8d%n", m, pkgs, imports, tw, up, cy));
            int[] row = {pkgs, imports, tw, up, cy};
            for (int i = 0; i < row.length; i++) total[i] += row[i];
        }
        out.append(String.format("%-12s %8d %8d %8d %8d %8d%n", "total", total[0], total[1], total[2], total[3], total[4]));
        out.append("two-way ties: ").append(ties).append('\n');
        out.append("upward imports: ").append(upward).append('\n');
        out.append("cycles: ").append(cycles).append('\n');
        return out.toString();
    }

    private static String from(String edge) {
        return edge.substring(0, edge.indexOf(" -> "));
    }

    /** Prints {@link #figures()} for a built repository (its modules' target/classes and sources). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: PackageGraph <repository root, built with ./mvnw -B -o -q -DskipTests package>");
            System.exit(2);
        }
        System.out.print(fromRepository(Path.of(args[0])).figures());
    }
}
