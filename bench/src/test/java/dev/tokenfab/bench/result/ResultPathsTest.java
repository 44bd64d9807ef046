package dev.tokenfab.bench.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultPathsTest {

    @Test
    void filesKeepTheirFolderAndFoldersOnlyTheirName(@TempDir Path dir) throws Exception {
        Path pkg = Files.createDirectories(dir.resolve("llama1b-int4.tfpkg"));
        Path plan = Files.writeString(pkg.resolve("dataflow.json"), "{}");
        Path model = Files.writeString(Files.createDirectories(dir.resolve("llama1b")).resolve("model.onnx"), "x");
        assertEquals("llama1b-int4.tfpkg", ResultPaths.label(pkg));
        assertEquals("llama1b-int4.tfpkg/dataflow.json", ResultPaths.label(plan));
        assertEquals("llama1b/model.onnx", ResultPaths.label(model));
        assertNull(ResultPaths.label(null));
    }
}
