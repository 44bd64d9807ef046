package dev.tokenfab.bench.accuracy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.tokenfab.compiler.error.CompileException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * Plants activation outliers in a synthetic ONNX decoder for the AWQ experiment: the RMSNorm scales
 * ({@code *layernorm.weight}, {@code model.norm.weight}) of chosen hidden channels are multiplied by a
 * gain, so every normalized input of q/k/v, gate/up and the LM head is large in those channels, the
 * situation AWQ is designed for (LLM.int8(), Dettmers et al. 2022: a few hidden features ~20x larger).
 * {@code SynthSpec.outlierChannels} plants outliers in weight columns instead, which an activation-aware
 * method cannot see. Only for inline float32 initializers (the synthetic RAW form without external data).
 */
public final class ActivationOutliers {
    private ActivationOutliers() {}

    /** The channels {@link #plant} scales: {@code count} channels spread by a stride coprime to {@code hidden}. */
    public static int[] channels(int hidden, int count) {
        int stride = 61; // prime: coprime to any power-of-two width
        while (hidden % stride == 0) stride += 2;
        int[] c = new int[count];
        for (int i = 0; i < count; i++) c[i] = (int) ((5L + (long) i * stride) % hidden);
        Arrays.sort(c);
        return c;
    }

    /** Rewrites {@code onnx} in place (temp file + rename) with the norm scales of {@link #channels} times {@code gain}. */
    public static int[] plant(Path onnx, int hidden, int count, float gain) throws CompileException {
        int[] ch = channels(hidden, count);
        ModelProto model;
        try (InputStream in = Files.newInputStream(onnx)) {
            model = ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw CompileException.io(onnx, e);
        }
        ModelProto.Builder b = model.toBuilder();
        int changed = 0;
        for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
            TensorProto t = b.getGraph().getInitializer(i);
            if (!(t.getName().endsWith("layernorm.weight") || t.getName().equals("model.norm.weight"))) continue;
            if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE || t.getRawData().size() != hidden * 4) {
                throw new CompileException(CompileException.ErrorCode.UNSUPPORTED_MODEL, onnx + ": norm weight " + t.getName()
                        + " is not an inline float32 [" + hidden + "] initializer");
            }
            ByteBuffer v = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            for (int c : ch) v.putFloat(c * 4, v.getFloat(c * 4) * gain);
            b.getGraphBuilder().setInitializer(i, t.toBuilder().setRawData(ByteString.copyFrom(v.array())));
            changed++;
        }
        if (changed == 0) throw new CompileException(CompileException.ErrorCode.UNSUPPORTED_MODEL, onnx + ": no RMSNorm weights found");
        Path tmp = onnx.resolveSibling(onnx.getFileName() + ".outliers-tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            b.build().writeTo(out);
            out.close();
            Files.move(tmp, onnx, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw CompileException.io(onnx, e);
        }
        return ch;
    }
}
