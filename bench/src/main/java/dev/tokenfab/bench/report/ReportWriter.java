package dev.tokenfab.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tokenfab.bench.BenchException;
import dev.tokenfab.bench.result.BenchRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes {@code bench.json} and {@code bench.html} into a report folder, each to a temp file then renamed. */
public final class ReportWriter {

    public static final String JSON_FILE = "bench.json";
    public static final String HTML_FILE = "bench.html";

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {}

    public record Written(Path json, Path html) {}

    /** @throws BenchException IO naming the file that could not be written */
    public static Written write(BenchRun run, Path folder) throws BenchException {
        String json;
        try {
            json = JSON.writeValueAsString(run);
        } catch (IOException e) {
            throw new BenchException(BenchException.ErrorCode.IO, "cannot serialize the bench run: " + e.getMessage(), e);
        }
        Path jsonFile = folder.resolve(JSON_FILE);
        Path htmlFile = folder.resolve(HTML_FILE);
        atomicWrite(jsonFile, json);
        atomicWrite(htmlFile, HtmlReport.render(json));
        return new Written(jsonFile, htmlFile);
    }

    public static BenchRun read(Path jsonFile) throws BenchException {
        try {
            return JSON.readValue(jsonFile.toFile(), BenchRun.class);
        } catch (IOException e) {
            throw new BenchException(BenchException.ErrorCode.IO, jsonFile + ": not a bench run: " + e.getMessage(), e);
        }
    }

    static void atomicWrite(Path file, String text) throws BenchException {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".tmp");
            Files.writeString(tmp, text);
            try {
                // createTempFile makes the file owner-only; a report is meant to be shared
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // keep the platform default
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BenchException(BenchException.ErrorCode.IO, file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
