package dev.tokenfab.compiler;

import dev.tokenfab.compiler.ir.DecoderModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;

/** The import pass's source of decoder IR: the ONNX importer in production, anything in tests. */
@FunctionalInterface
public interface ModelImporter {

    DecoderModel importModel(Path model) throws CompileException;

    /** Class and method of the ONNX importer (branch {@code import}); looked up at run time so that this
     *  driver builds before the importer lands. */
    String ONNX_IMPORTER = "dev.tokenfab.compiler.onnx.OnnxImporter";

    /**
     * The ONNX importer, {@code OnnxImporter.importModel(Path)}; a compile fails with UNSUPPORTED_MODEL
     * naming the missing class when this build does not contain it.
     */
    static ModelImporter onnx() {
        return path -> {
            Method m;
            try {
                m = Class.forName(ONNX_IMPORTER).getMethod("importModel", Path.class);
            } catch (ReflectiveOperationException e) {
                throw new CompileException(CompileException.ErrorCode.UNSUPPORTED_MODEL,
                        "this build has no ONNX importer (" + ONNX_IMPORTER + ".importModel(Path)); cannot read " + path, e);
            }
            try {
                Object target = java.lang.reflect.Modifier.isStatic(m.getModifiers()) ? null
                        : m.getDeclaringClass().getDeclaredConstructor().newInstance();
                return (DecoderModel) m.invoke(target, path);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof CompileException ce) throw ce;
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException("ONNX importer failed on " + path, e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(ONNX_IMPORTER + ".importModel cannot be called: " + e, e);
            }
        };
    }
}
