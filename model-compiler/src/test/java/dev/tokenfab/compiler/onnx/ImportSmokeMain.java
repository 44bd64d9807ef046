package dev.tokenfab.compiler.onnx;

import java.nio.file.Path;

/** Developer aid: prints the import of a model (not a test). */
final class ImportSmokeMain {
    public static void main(String[] args) throws Exception {
        for (String a : args) {
            try {
                var r = OnnxImporter.importWithReport(Path.of(a));
                r.passes().forEach(System.out::println);
                System.out.println(r.model().config());
                r.model().weights().forEach((k, v) -> System.out.println("  " + k + " " + v.rows() + "x" + v.cols() + " " + v.getClass().getSimpleName()));
            } catch (dev.tokenfab.compiler.CompileException e) {
                System.out.println(a + " -> " + e.code() + ": " + e.getMessage());
                var r2 = e;
            }
        }
    }
}
