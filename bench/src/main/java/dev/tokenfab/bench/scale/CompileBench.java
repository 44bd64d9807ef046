package dev.tokenfab.bench.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compile benchmark (issue 3): {@code tokenfab compile --quant int4 --group-size 128} of a large
 * external-data model in a child JVM with {@code -Xmx2g} pinned to 2 cores, against {@code cat} of
 * the same external-data bytes in the same run (page cache dropped before each when running as
 * root). Reports wall time, the ratio, the child's peak RSS (VmHWM) and peak anonymous RSS
 * (RssAnon, sampled every 20 ms: VmHWM also counts the mapped model file's page-cache pages), and
 * the peak Java heap from the child's GC log.
 *
 * <pre>
 * usage: CompileBench REPO_ROOT MODEL.onnx OUT.tfpkg WORK_DIR
 * command: java -cp "cli/target/tokenfab-cli.jar:cli/target/lib/*" dev.tokenfab.bench.scale.CompileBench \
 *            . $MODELS/llama1b/model.onnx $MODELS/llama1b-int4.tfpkg $MODELS/out
 * </pre>
 */
public final class CompileBench {
    private CompileBench() {}

    /** The limit under test: the compiler must work in a 2 GB heap (issue 3). */
    static final String HEAP_LIMIT = "-Xmx2g";
    static final String CORES = "0,1";
    static final long SAMPLE_MS = 20;

    /** Drops the page cache; false when not permitted (not root). */
    static boolean dropCaches() {
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
            return true;
        } catch (IOException | InterruptedException | SecurityException e) {
            return false;
        }
    }

    static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException e) {
            return -1; // the process ended between samples
        }
        return -1;
    }

    /** Largest heap occupancy (MB) in a unified GC log: the max over "A M->B M(C M)" of A and B. */
    static long peakHeapMb(Path gcLog) throws IOException {
        Pattern p = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
        long peak = 0;
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = p.matcher(line);
            while (m.find()) peak = Math.max(peak, Math.max(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
        }
        return peak;
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 4) throw new IllegalArgumentException("usage: CompileBench REPO_ROOT MODEL.onnx OUT.tfpkg WORK_DIR");
        Path root = Path.of(a[0]).toAbsolutePath(), model = Path.of(a[1]), out = Path.of(a[2]), work = Path.of(a[3]);
        Files.createDirectories(work);
        Path data = Path.of(model + ".data");
        long bytes = Files.size(data);

        boolean dropped = dropCaches();
        long t0 = System.nanoTime();
        int catRc = new ProcessBuilder("cat", data.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        double catSeconds = (System.nanoTime() - t0) * 1e-9;
        if (catRc != 0) throw new IllegalStateException("cat " + data + " exited " + catRc);

        if (Files.exists(out)) {
            try (var s = Files.walk(out)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        dropCaches();
        Path gcLog = work.resolve("compile-gc.log");
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", CORES, root.resolve("tokenfab").toString(), "compile", model.toString(),
                "--quant", "int4", "--group-size", "128", "--platform", "u55c", "-o", out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("compile.out").toFile());
        pb.environment().put("TOKENFAB_JAVA_OPTS", HEAP_LIMIT + " -XX:ActiveProcessorCount=2 -Xlog:gc*:file=" + gcLog);
        long t1 = System.nanoTime();
        Process child = pb.start(); // taskset and the launcher exec: the pid becomes the JVM's
        long hwmKb = 0, anonKb = 0;
        while (child.isAlive()) {
            hwmKb = Math.max(hwmKb, statusKb(child.pid(), "VmHWM"));
            anonKb = Math.max(anonKb, statusKb(child.pid(), "RssAnon"));
            Thread.sleep(SAMPLE_MS);
        }
        double compileSeconds = (System.nanoTime() - t1) * 1e-9;
        int rc = child.exitValue();
        System.out.printf(Locale.ROOT, "page cache dropped before each: %s%n", dropped ? "yes (root)" : "no (not permitted)");
        System.out.printf(Locale.ROOT, "measured: cat %s (%.2f GB): %.1f s (%.0f MB/s)%n", data.getFileName(), bytes / 1e9, catSeconds, bytes / 1e6 / catSeconds);
        System.out.printf(Locale.ROOT, "measured: compile int4 g128, %s, cores %s: %.1f s, exit %d; ratio to cat %.2fx (target <= 3x)%n",
                HEAP_LIMIT, CORES, compileSeconds, rc, compileSeconds / catSeconds);
        System.out.printf(Locale.ROOT, "measured: child peak RSS (VmHWM, includes mapped model pages) %.0f MB; peak anonymous RSS %.0f MB; peak Java heap (GC log) %d MB%n",
                hwmKb / 1024.0, anonKb / 1024.0, peakHeapMb(gcLog));
        System.out.println(String.join("\n", Files.readAllLines(work.resolve("compile.out"))));
    }
}
