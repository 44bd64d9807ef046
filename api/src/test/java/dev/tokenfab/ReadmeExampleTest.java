package dev.tokenfab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.format.plan.DataflowPlan;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The root README's "Embedding tokenfab in Java" example, compiled in-process with
 * {@link JavaCompiler} against the test class path and run: its ids must equal a direct
 * {@code Generator} run on the same model, and its figures must carry their labels and the plan's values.
 */
class ReadmeExampleTest {

    /** Heading of the README section whose first ```java block is the example. */
    static final String SECTION = "## Embedding tokenfab in Java";
    /** Name of the class the example's statements are wrapped in. */
    static final String CLASS_NAME = "ReadmeExample";

    @TempDir Path dir;

    /** The README: the file the build names (system property), else the module's parent folder's. */
    static Path readme() {
        String p = System.getProperty("tokenfab.readme");
        return p != null ? Path.of(p) : Path.of("..", "README.md");
    }

    /** The first ```java block after {@link #SECTION}. */
    static String exampleBlock(String readme) {
        int section = readme.indexOf(SECTION);
        assertTrue(section >= 0, "README.md has no section '" + SECTION + "'");
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(section), "README.md section '" + SECTION + "' has no ```java block");
        return m.group(1);
    }

    /** Import lines stay on top; every other line becomes the body of {@code main}. */
    static String wrap(String block) {
        StringBuilder imports = new StringBuilder(), body = new StringBuilder();
        for (String line : block.split("\n")) (line.startsWith("import ") ? imports : body).append(line).append('\n');
        return imports + "public class " + CLASS_NAME + " {\n  public static void main(String[] args) throws Exception {\n"
                + body + "  }\n}\n";
    }

    @Test
    void readmeExampleCompilesRunsAndMatchesADirectGeneratorRun() throws Exception {
        String source = wrap(exampleBlock(Files.readString(readme(), StandardCharsets.UTF_8)));
        Path src = dir.resolve("src");
        Path classes = dir.resolve("classes");
        Files.createDirectories(src);
        Files.createDirectories(classes);
        Files.writeString(src.resolve(CLASS_NAME + ".java"), source, StandardCharsets.UTF_8);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        // Surefire may start the tests from a manifest-only jar; it names the real class path here.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        StringWriter javacOut = new StringWriter();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(javacOut, files, diagnostics,
                    List.of("-classpath", classPath, "-d", classes.toString(), "-Xlint:all", "-Werror"),
                    null, files.getJavaFileObjects(src.resolve(CLASS_NAME + ".java"))).call();
            assertTrue(ok, "the README example does not compile:\n" + diagnostics.getDiagnostics() + javacOut + "\n" + source);
        }

        String out = runMain(classes);

        int[] expected = DemoPackage.directGreedyIds(DemoPackage.compile(dir), DemoPackage.PROMPT_IDS, DemoPackage.NEW_TOKENS);
        String[] lines = out.split("\n");
        assertEquals(4, lines.length, "streamed ids, generated ids, measured, modeled:\n" + out);
        int[] streamed = Arrays.stream(lines[0].trim().split(" ")).mapToInt(Integer::parseInt).toArray();
        assertEquals(Arrays.toString(expected), Arrays.toString(streamed), "ids streamed by the README example");
        assertEquals("generated ids: " + Arrays.toString(expected), lines[1]);
        assertTrue(lines[2].startsWith(HostRuntime.MEASURED_EMULATED + " ("), lines[2]);
        DataflowPlan.EstimateModeled e = DemoPackage.estimate(dir.resolve("direct.tfpkg"));
        assertEquals(String.format(Locale.ROOT, "modeled: %.2f tokens/s, %.2f W, %.2f tokens/J on U55C, from dataflow plan "
                + "(card model, U55C, batch 1, context %d, %s-bound)", e.tokensPerSecond(), e.boardWatts(), e.tokensPerJoule(),
                e.contextTokens(), e.bound()), lines[3]);
    }

    /** Runs the compiled example's main with System.out captured. */
    private static String runMain(Path classes) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ReadmeExampleTest.class.getClassLoader());
             PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            Method main = loader.loadClass(CLASS_NAME).getMethod("main", String[].class);
            System.setOut(capture);
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8).replace("\r", "");
    }
}
