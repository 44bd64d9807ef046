package dev.tokenfab.cli.arch;

import dev.tokenfab.format.plan.Part;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The documented layering of tokenfab's packages ({@code docs/ARCHITECTURE.md}, "Layering"), as data.
 * {@link ArchitectureTest} enforces it on the compiled classes and {@link PackageGraph} counts what
 * breaks it; both read this one table, so the rule and its figure cannot drift apart.
 *
 * <p>Rules are written by package pattern (a package and everything under it), never by class, so
 * packages added later (say {@code compiler.build}, {@code format.card}) fall under their parent's rule.
 */
final class Layering {

    static final String ROOT = "dev.tokenfab";

    /** One component per Maven module: a module's classes live under its package root. */
    enum Component {
        KERNELS("hls-kernels", "kernels"),
        FORMAT("model-format", "format"),
        COMPILER("model-compiler", "compiler"),
        BITSTREAMS("bitstreams", "bitstreams"),
        HOST("host", "host"),
        BENCH("bench", "bench"),
        /** The embedding API ({@code dev.tokenfab.Tokenfab}): the root package itself, nothing under it. */
        API("api", ""),
        CLI("cli", "cli");

        final String module;
        /** Package root relative to {@link #ROOT}; empty for the root package itself. */
        final String relativeRoot;

        Component(String module, String relativeRoot) {
            this.module = module;
            this.relativeRoot = relativeRoot;
        }

        /** How rules and figures name it: "compiler", or "api" for the root package. */
        String relativeName() {
            return relativeRoot.isEmpty() ? "api" : relativeRoot;
        }

        String packageRoot() {
            return relativeRoot.isEmpty() ? ROOT : ROOT + "." + relativeRoot;
        }

        boolean contains(String pkg) {
            if (this == API) return pkg.equals(ROOT);
            return pkg.equals(packageRoot()) || pkg.startsWith(packageRoot() + ".");
        }

        static Optional<Component> of(String pkg) {
            for (Component c : values()) if (c.contains(pkg)) return Optional.of(c);
            return Optional.empty();
        }

        static Optional<Component> ofModule(String module) {
            for (Component c : values()) if (c.module.equals(module)) return Optional.of(c);
            return Optional.empty();
        }
    }

    /** Which components each component may import (besides itself). */
    static final Map<Component, Set<Component>> ALLOWED = Map.of(
            Component.FORMAT, EnumSet.noneOf(Component.class),
            Component.KERNELS, EnumSet.noneOf(Component.class),
            Component.COMPILER, EnumSet.of(Component.FORMAT),
            Component.BITSTREAMS, EnumSet.of(Component.FORMAT, Component.KERNELS),
            Component.HOST, EnumSet.of(Component.FORMAT, Component.KERNELS, Component.BITSTREAMS),
            Component.BENCH, EnumSet.of(Component.FORMAT, Component.KERNELS, Component.COMPILER,
                    Component.BITSTREAMS, Component.HOST),
            Component.API, EnumSet.of(Component.FORMAT, Component.KERNELS, Component.COMPILER,
                    Component.BITSTREAMS, Component.HOST, Component.BENCH),
            Component.CLI, EnumSet.complementOf(EnumSet.of(Component.CLI)));

    /**
     * A rule: classes matching {@code origin} must not import packages matching {@code forbidden}.
     * {@code name} is what a failure prints.
     */
    record Rule(String name, Predicate<String> origin, Predicate<String> forbidden) {
        boolean breaks(String originClass, String targetPackage) {
            return origin.test(originClass) && forbidden.test(targetPackage);
        }
    }

    /** A package and everything under it, relative to {@link #ROOT} ("compiler.ir"). */
    static Predicate<String> under(String relative) {
        String p = ROOT + "." + relative;
        return pkg -> pkg.equals(p) || pkg.startsWith(p + ".");
    }

    /** Exactly one package, relative to {@link #ROOT} ("compiler" is the compiler's root package). */
    static Predicate<String> exactly(String relative) {
        String p = ROOT + "." + relative;
        return pkg -> pkg.equals(p);
    }

    /** Classes (nested ones included) whose package matches. */
    static Predicate<String> classesIn(Predicate<String> pkg) {
        return cls -> pkg.test(packageOf(cls));
    }

    /** A class and its nested classes, by binary name. */
    static Predicate<String> classAndNested(String binaryName) {
        return cls -> cls.equals(binaryName) || cls.startsWith(binaryName + "$");
    }

    /**
     * Any compiler package except {@code compiler.error} (the typed error every stage throws) and the
     * listed subtrees. The compiler's root package is the facade on top ({@code Compiler}): no stage
     * imports it.
     */
    static Predicate<String> compilerExcept(String... allowedSubtrees) {
        Predicate<String> forbidden = under("compiler").and(under("compiler.error").negate());
        for (String a : allowedSubtrees) forbidden = forbidden.and(under(a).negate());
        return forbidden;
    }

    static final List<Rule> RULES = rules();

    private static List<Rule> rules() {
        List<Rule> rules = new ArrayList<>();
        for (Component from : Component.values()) {
            Set<Component> allowed = ALLOWED.get(from);
            for (Component to : Component.values()) {
                if (to == from || allowed.contains(to)) continue;
                rules.add(new Rule(from.relativeName() + " must not import " + to.relativeName()
                        + " (" + from.relativeName() + " may import " + names(allowed) + ")",
                        cls -> from.contains(packageOf(cls)), to::contains));
            }
        }
        // Inside the compiler data flows one way: onnx -> ir <- quant; the planner reads the format only.
        rules.add(new Rule("compiler.ir is the bottom of the compiler: it imports no other compiler package",
                classesIn(under("compiler.ir")), compilerExcept("compiler.ir")));
        rules.add(new Rule("compiler.onnx imports only compiler.ir (onnx -> ir)",
                classesIn(under("compiler.onnx")), compilerExcept("compiler.onnx", "compiler.ir")));
        rules.add(new Rule("compiler.quant imports only compiler.ir (quant -> ir), and compiler.reference"
                        + " from Calibration alone",
                classesIn(under("compiler.quant")).and(classAndNested(CALIBRATION).negate()),
                compilerExcept("compiler.quant", "compiler.ir")));
        rules.add(new Rule("compiler.quant.Calibration imports only compiler.ir and compiler.reference"
                        + " (it runs the reference decoder to record activations)",
                classAndNested(CALIBRATION),
                compilerExcept("compiler.quant", "compiler.ir", "compiler.reference")));
        rules.add(new Rule("compiler.plan reads only the package format (plan -> format)",
                classesIn(under("compiler.plan")), compilerExcept("compiler.plan")));
        rules.add(new Rule("compiler.write (the package writer) is imported only by the compile driver"
                        + " (compiler root package, compiler.build)",
                classesIn(exactly("compiler").or(under("compiler.build")).or(under("compiler.write")).negate()),
                under("compiler.write")));
        // Inside the host: the device layer knows nothing of what runs on it.
        rules.add(new Rule("host.device imports neither host.runtime, host.cli nor host.power",
                classesIn(under("host.device")),
                under("host.runtime").or(under("host.cli")).or(under("host.power"))));
        rules.add(new Rule("host.runtime does not import host.cli",
                classesIn(under("host.runtime")), under("host.cli")));
        return List.copyOf(rules);
    }

    /** The one class allowed to reach from quant into the reference decoders (calibration runs). */
    static final String CALIBRATION = ROOT + ".compiler.quant.Calibration";

    static final Map<String, String> KNOWN = Map.ofEntries(
            Map.entry("bitstreams.xclbin -> bitstreams",
                    "XclbinWriter takes the root package's BankMap while EmulationXclbins uses xclbin (cycle)"),
            Map.entry("host.device.xrt -> host.device",
                    "the XRT binding throws the SPI's DeviceException while XrtDevice uses the binding (cycle)"));


    static String relative(String pkg) {
        return pkg.equals(ROOT) ? "(root)" : pkg.substring(ROOT.length() + 1);
    }

    static String packageOf(String binaryClassName) {
        int dot = binaryClassName.lastIndexOf('.');
        return dot < 0 ? "" : binaryClassName.substring(0, dot);
    }

    private static String names(Set<Component> components) {
        if (components.isEmpty()) return "nothing else in tokenfab";
        List<String> names = new ArrayList<>();
        for (Component c : components) names.add(c.relativeName());
        return "only " + String.join(", ", names);
    }

    private Layering() {}
}
