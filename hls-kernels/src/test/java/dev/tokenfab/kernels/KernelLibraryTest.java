package dev.tokenfab.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelLibraryTest {

    @Test
    void libraryPathIsARealSharedObject() throws Exception {
        Path p = KernelLibrary.libraryPath();
        assertTrue(Files.isRegularFile(p), p.toString());
        byte[] head = Files.readAllBytes(p);
        // ELF magic: the build produced a real shared library, not a placeholder.
        assertEquals(0x7f, head[0]);
        assertEquals('E', head[1]);
        assertEquals('L', head[2]);
        assertEquals('F', head[3]);
        assertEquals(p, KernelLibrary.libraryPath(), "resolved once per JVM");
    }

    @Test
    void everyKernelOfTheContractHasASymbol() {
        try (KernelLibrary lib = KernelLibrary.load()) {
            for (Kernel k : Kernel.values()) {
                MethodHandle h = lib.handle(k);
                assertNotNull(h, k.name());
                assertEquals(k.args().size(), h.type().parameterCount(), k.symbol());
            }
        }
    }

    @Test
    void handleIsCallableWithInvokeExact() throws Throwable {
        try (KernelLibrary lib = KernelLibrary.load(); Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 7f, 3f, 7f);
            int idx = (int) lib.handle(Kernel.ARGMAX).invokeExact(x, 4);
            assertEquals(1, idx);
        }
    }

    @Test
    void addressHandleComputesWhatTheSegmentHandleComputes() throws Throwable {
        try (KernelLibrary lib = KernelLibrary.load(); Arena arena = Arena.ofConfined()) {
            for (Kernel k : Kernel.values()) {
                MethodHandle h = lib.addressHandle(k);
                assertEquals(k.args().size(), h.type().parameterCount(), k.symbol());
                for (int i = 0; i < k.args().size(); i++) {
                    if (k.args().get(i).kind() == Kernel.ArgKind.POINTER) assertEquals(long.class, h.type().parameterType(i), k.symbol());
                }
            }
            MemorySegment a = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1.5f, -2f, 3.25f);
            MemorySegment b = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0.25f, 4f, -1f);
            MemorySegment bySegment = arena.allocate(ValueLayout.JAVA_FLOAT, 3), byAddress = arena.allocate(ValueLayout.JAVA_FLOAT, 3);
            lib.handle(Kernel.ADD).invokeExact(a, b, bySegment, 3);
            lib.addressHandle(Kernel.ADD).invokeExact(a.address(), b.address(), byAddress.address(), 3);
            assertArrayEquals(new float[] {1.75f, 2f, 2.25f}, byAddress.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(bySegment.toArray(ValueLayout.JAVA_FLOAT), byAddress.toArray(ValueLayout.JAVA_FLOAT));
            MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 7f, 3f, 9f);
            assertEquals(3, (int) lib.addressHandle(Kernel.ARGMAX).invokeExact(x.address(), 4));
        }
    }

    @Test
    void invokeChecksArgumentCountAndNamesTheArguments() {
        try (KernelLibrary lib = KernelLibrary.load()) {
            KernelException e = assertThrows(KernelException.class, () -> lib.invoke(Kernel.ADD, MemorySegment.NULL));
            assertEquals(KernelException.ErrorCode.BAD_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("tf_add takes 4 arguments [a, b, out, n], got 1"), e.getMessage());
        }
    }

    @Test
    void invokeRejectsWrongTypesNamingTheArgument() {
        try (KernelLibrary lib = KernelLibrary.load(); Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(16);
            KernelException e = assertThrows(KernelException.class,
                    () -> lib.invoke(Kernel.RMSNORM, x, x, x, 4, 1e-5, 1));
            assertEquals(KernelException.ErrorCode.BAD_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("argument eps must be a Float, got Double"), e.getMessage());
            KernelException e2 = assertThrows(KernelException.class, () -> lib.invoke(Kernel.ARGMAX, x, 4L));
            assertTrue(e2.getMessage().contains("argument n must be an Integer, got Long"), e2.getMessage());
        }
    }

    @Test
    void invokeRejectsHeapSegments() {
        try (KernelLibrary lib = KernelLibrary.load()) {
            MemorySegment heap = MemorySegment.ofArray(new float[4]);
            KernelException e = assertThrows(KernelException.class, () -> lib.invoke(Kernel.ARGMAX, heap, 4));
            assertEquals(KernelException.ErrorCode.BAD_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("argument x is a heap segment"), e.getMessage());
        }
    }

    @Test
    void closedLibraryThrowsIllegalStateIncludingOldHandles() {
        KernelLibrary lib = KernelLibrary.load();
        MethodHandle old = lib.handle(Kernel.ARGMAX);
        lib.close();
        lib.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> lib.handle(Kernel.ADD));
        assertThrows(IllegalStateException.class, () -> lib.invoke(Kernel.ARGMAX, MemorySegment.NULL, 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
            // The symbol's arena is closed: the downcall refuses instead of jumping into unmapped code.
            assertThrows(IllegalStateException.class, () -> {
                int unused = (int) old.invokeExact(x, 1);
            });
        }
    }

    @Test
    void missingLibraryFileIsATypedErrorNamingThePath(@TempDir Path dir) {
        Path missing = dir.resolve("nope.so");
        KernelException e = assertThrows(KernelException.class, () -> KernelLibrary.open(missing));
        assertEquals(KernelException.ErrorCode.LIBRARY_MISSING, e.code());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void unloadableFileIsATypedError(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.so"), "not an ELF file");
        KernelException e = assertThrows(KernelException.class, () -> KernelLibrary.open(junk));
        assertEquals(KernelException.ErrorCode.LIBRARY_LOAD_FAILED, e.code());
        assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
    }

    @Test
    void libraryWithoutTheSymbolIsATypedError() {
        // libm is a real shared library without any tf_ symbol.
        Path libm = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(libm), "no " + libm + " on this machine");
        try (KernelLibrary lib = KernelLibrary.open(libm)) {
            KernelException e = assertThrows(KernelException.class, () -> lib.handle(Kernel.GEMV_Q8));
            assertEquals(KernelException.ErrorCode.SYMBOL_MISSING, e.code());
            assertTrue(e.getMessage().contains("tf_gemv_q8") && e.getMessage().contains("libm.so.6"), e.getMessage());
        }
    }

    @Test
    void extractsTheLibraryFromAJarToAPrivateFileThatLoads(@TempDir Path dir) throws Exception {
        // Package the built library the way the hls-kernels jar does, then load it from the jar URL.
        Path jar = dir.resolve("kernels.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry(KernelLibrary.RESOURCE.substring(1)));
            Files.copy(KernelLibrary.libraryPath(), out);
            out.closeEntry();
        }
        java.net.URL url = java.net.URI.create("jar:" + jar.toUri() + "!" + KernelLibrary.RESOURCE).toURL();
        Path extracted = KernelLibrary.extract(url);
        try {
            assertEquals(Files.size(KernelLibrary.libraryPath()), Files.size(extracted));
            assertEquals("rwx------",
                    java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(extracted)));
            try (KernelLibrary lib = KernelLibrary.open(extracted); Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f, -1f, 2f);
                assertEquals(2, lib.invoke(Kernel.ARGMAX, x, 3));
            }
        } finally {
            Files.deleteIfExists(extracted);
        }
    }

    @Test
    void extractionFailureIsATypedError(@TempDir Path dir) throws Exception {
        java.net.URL url = dir.resolve("absent.so").toUri().toURL();
        KernelException e = assertThrows(KernelException.class, () -> KernelLibrary.extract(url));
        assertEquals(KernelException.ErrorCode.EXTRACTION_FAILED, e.code());
        assertTrue(e.getMessage().contains("absent.so"), e.getMessage());
    }

    @Test
    void concurrentCallsOnOneLibraryAreIndependent() throws Exception {
        try (KernelLibrary lib = KernelLibrary.load()) {
            int threads = 4;
            var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                var futures = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
                for (int t = 0; t < threads; t++) {
                    final int winner = 1000 + t * 17;
                    futures.add(pool.submit(() -> {
                        try (Arena arena = Arena.ofConfined()) {
                            float[] v = new float[4096];
                            v[winner] = 1f;
                            MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
                            int last = -1;
                            for (int i = 0; i < 200; i++) {
                                last = lib.invoke(Kernel.ARGMAX, x, v.length);
                            }
                            return last;
                        }
                    }));
                }
                for (int t = 0; t < threads; t++) {
                    assertEquals(1000 + t * 17, futures.get(t).get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
