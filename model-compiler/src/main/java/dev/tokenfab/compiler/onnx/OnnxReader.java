package dev.tokenfab.compiler.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Dim;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import dev.tokenfab.compiler.onnx.graph.ValueInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one .onnx file into the {@link Graph} IR. The file is memory-mapped and parsed by protobuf
 * with aliasing on, so {@code raw_data} initializers stay views of the mapping; external data files
 * are mapped too (once each) and initializers become slices of them. Nothing large is copied into the
 * Java heap. Mappings use {@link Arena#ofAuto()}: they live as long as some tensor still refers to them.
 *
 * <p>Checks, each naming the culprit: the file exists (FILE_NOT_FOUND), parses as a ModelProto with a
 * non-empty graph (NOT_ONNX, TRUNCATED), every external-data location stays inside the model folder
 * (UNSAFE_PATH), every initializer's dims x dtype size equals its data (BAD_TENSOR) and every external
 * slice lies inside its file (TRUNCATED).
 */
public final class OnnxReader {

    /** Protobuf messages cannot exceed 2 GiB (CodedInputStream's int sizes); bigger models use external data. */
    static final long PROTOBUF_LIMIT_BYTES = Integer.MAX_VALUE;

    private final Map<Path, MemorySegment> mappedExternalFiles = new HashMap<>();

    /**
     * @param onnxFile path of a .onnx file
     * @return the graph, nodes in file order (ONNX requires topological order)
     * @throws CompileException FILE_NOT_FOUND, NOT_ONNX, TRUNCATED, UNSAFE_PATH, BAD_TENSOR, IO_ERROR
     */
    public Graph read(Path onnxFile) throws CompileException {
        if (!Files.isRegularFile(onnxFile)) {
            throw new CompileException(ErrorCode.FILE_NOT_FOUND, onnxFile + ": no such ONNX file");
        }
        MemorySegment mapped = map(onnxFile);
        if (mapped.byteSize() > PROTOBUF_LIMIT_BYTES) {
            throw new CompileException(ErrorCode.UNSUPPORTED_MODEL, onnxFile + ": " + mapped.byteSize()
                    + " bytes exceeds protobuf's 2 GiB message limit; save the weights as external data");
        }
        ModelProto model = parse(onnxFile, mapped.asByteBuffer());
        GraphProto g = model.getGraph();
        if (!model.hasGraph() || g.getNodeCount() == 0) {
            throw new CompileException(ErrorCode.NOT_ONNX, onnxFile + ": not an ONNX model (no graph nodes"
                    + (model.getIrVersion() == 0 ? ", no ir_version" : "") + ")");
        }
        Path folder = onnxFile.toAbsolutePath().getParent();

        Map<String, Tensor> initializers = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) initializers.put(t.getName(), tensor(t, folder, onnxFile));

        Map<String, ValueInfo> valueInfo = new LinkedHashMap<>();
        List<ValueInfo> inputs = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) {
            ValueInfo vi = valueInfo(v);
            valueInfo.put(vi.name(), vi);
            if (!initializers.containsKey(vi.name())) inputs.add(vi);
        }
        List<ValueInfo> outputs = new ArrayList<>();
        for (ValueInfoProto v : g.getOutputList()) {
            ValueInfo vi = valueInfo(v);
            valueInfo.put(vi.name(), vi);
            outputs.add(vi);
        }
        for (ValueInfoProto v : g.getValueInfoList()) valueInfo.putIfAbsent(v.getName(), valueInfo(v));

        List<Node> nodes = new ArrayList<>(g.getNodeCount());
        int i = 0;
        for (NodeProto n : g.getNodeList()) {
            String name = n.getName().isEmpty() ? n.getOpType() + "#" + i : n.getName();
            Map<String, Attribute> attrs = new LinkedHashMap<>();
            for (AttributeProto a : n.getAttributeList()) attrs.put(a.getName(), attribute(a, name, folder, onnxFile));
            nodes.add(new Node(name, n.getDomain(), n.getOpType(), n.getInputList(), n.getOutputList(), attrs));
            i++;
        }
        Map<String, Long> opsets = new HashMap<>();
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            opsets.put(o.getDomain().equals("ai.onnx") ? "" : o.getDomain(), o.getVersion());
        }
        return new Graph(onnxFile, inputs, outputs, valueInfo, nodes, initializers, opsets);
    }

    private static MemorySegment map(Path file) throws CompileException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
        } catch (NoSuchFileException e) {
            throw new CompileException(ErrorCode.FILE_NOT_FOUND, file + ": no such file", e);
        } catch (IOException e) {
            throw CompileException.io(file, e);
        }
    }

    private static ModelProto parse(Path file, ByteBuffer bytes) throws CompileException {
        try {
            // an immutable (unsafe-wrapped) buffer plus aliasing makes bytes fields views of the mapping, not copies
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            in.setRecursionLimit(256);
            return ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("ended unexpectedly") || msg.contains("truncated")) {
                throw new CompileException(ErrorCode.TRUNCATED, file + ": ONNX protobuf ends early ("
                        + msg + "); the file is truncated", e);
            }
            throw new CompileException(ErrorCode.NOT_ONNX, file + ": not an ONNX ModelProto (" + msg + ")", e);
        } catch (IOException | RuntimeException e) {
            throw new CompileException(ErrorCode.NOT_ONNX, file + ": not an ONNX ModelProto (" + e + ")", e);
        }
    }

    private static ValueInfo valueInfo(ValueInfoProto v) {
        if (!v.getType().hasTensorType()) return new ValueInfo(v.getName(), null, null);
        var tt = v.getType().getTensorType();
        List<Dim> shape = null;
        if (tt.hasShape()) {
            shape = new ArrayList<>();
            for (TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
                if (d.hasDimValue()) shape.add(new Dim.Fixed(d.getDimValue()));
                else if (d.hasDimParam() && !d.getDimParam().isEmpty()) shape.add(new Dim.Symbolic(d.getDimParam()));
                else shape.add(new Dim.Unknown());
            }
        }
        return new ValueInfo(v.getName(), DataType.fromCodeOrNull(tt.getElemType()), shape);
    }

    private Attribute attribute(AttributeProto a, String node, Path folder, Path file) throws CompileException {
        return switch (a.getType()) {
            case INT -> new Attribute.Int(a.getI());
            case FLOAT -> new Attribute.Float(a.getF());
            case INTS -> new Attribute.Ints(a.getIntsList());
            case FLOATS -> new Attribute.Floats(a.getFloatsList());
            case STRING -> new Attribute.Str(a.getS().toStringUtf8());
            case TENSOR -> new Attribute.TensorValue(tensor(a.getT().toBuilder()
                    .setName(a.getT().getName().isEmpty() ? node + "." + a.getName() : a.getT().getName()).build(), folder, file));
            default -> new Attribute.Other(a.getType().name());
        };
    }

    /** One TensorProto to a Tensor over its bytes, after the size and location checks. */
    Tensor tensor(TensorProto t, Path folder, Path onnxFile) throws CompileException {
        String name = t.getName();
        DataType dtype = DataType.fromCode(t.getDataType(), name);
        long elements = 1;
        for (long d : t.getDimsList()) {
            if (d < 0) throw new CompileException(ErrorCode.BAD_TENSOR, "tensor '" + name + "' has negative dim " + d);
            elements = Math.multiplyExact(elements, d);
        }
        long expectedBytes = dtype.sizeBytes(elements);
        MemorySegment data;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            data = external(t, folder, expectedBytes);
        } else if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            if (raw.size() != expectedBytes) throw sizeMismatch(name, t, dtype, expectedBytes, raw.size());
            data = segmentOf(raw);
        } else {
            data = typedFields(t, dtype, elements, expectedBytes);
        }
        return new Tensor(name, dtype, t.getDimsList(), data);
    }

    private static CompileException sizeMismatch(String name, TensorProto t, DataType dtype, long expected, long actual) {
        return new CompileException(ErrorCode.BAD_TENSOR, "tensor '" + name + "': dims " + t.getDimsList() + " x " + dtype
                + " need " + expected + " bytes but the data holds " + actual);
    }

    private static MemorySegment segmentOf(ByteString raw) {
        ByteBuffer bb = raw.asReadOnlyByteBuffer(); // with aliasing: a view of the mapped file
        return MemorySegment.ofBuffer(bb);
    }

    private static MemorySegment typedFields(TensorProto t, DataType dtype, long elements, long expectedBytes)
            throws CompileException {
        String name = t.getName();
        int count = switch (dtype) {
            case FLOAT -> t.getFloatDataCount();
            case DOUBLE -> t.getDoubleDataCount();
            case INT64 -> t.getInt64DataCount();
            case UINT32, UINT64 -> t.getUint64DataCount();
            default -> t.getInt32DataCount(); // int32, int16/8, uint16/8, bool, fp16/bf16 bits, 4-bit pairs
        };
        long expectedCount = switch (dtype) {
            case INT4, UINT4 -> (elements + 1) / 2;
            default -> elements;
        };
        if (count != expectedCount) {
            throw new CompileException(ErrorCode.BAD_TENSOR, "tensor '" + name + "': dims " + t.getDimsList() + " need "
                    + expectedCount + " " + dtype + " values but the tensor holds " + count);
        }
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, expectedBytes), 8).asSlice(0, expectedBytes);
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        for (int i = 0; i < count; i++) {
            switch (dtype) {
                case FLOAT -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le), i * 4L, t.getFloatData(i));
                case DOUBLE -> seg.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(le), i * 8L, t.getDoubleData(i));
                case INT64 -> seg.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), i * 8L, t.getInt64Data(i));
                case UINT64 -> seg.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), i * 8L, t.getUint64Data(i));
                case UINT32 -> seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), i * 4L, (int) t.getUint64Data(i));
                case INT32 -> seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), i * 4L, t.getInt32Data(i));
                case INT16, UINT16, FLOAT16, BFLOAT16 ->
                        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), i * 2L, (short) t.getInt32Data(i));
                case INT8, UINT8, BOOL, INT4, UINT4 -> seg.set(ValueLayout.JAVA_BYTE, i, (byte) t.getInt32Data(i));
            }
        }
        return seg;
    }

    private MemorySegment external(TensorProto t, Path folder, long expectedBytes) throws CompileException {
        String name = t.getName();
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(name, "offset", e.getValue());
                case "length" -> length = parseLong(name, "length", e.getValue());
                default -> { } // "checksum" and future keys do not change where the bytes are
            }
        }
        if (location == null || location.isEmpty()) {
            throw new CompileException(ErrorCode.BAD_TENSOR, "tensor '" + name + "' is EXTERNAL but has no location");
        }
        Path file = safeLocation(name, location, folder);
        MemorySegment whole = mappedExternalFiles.get(file);
        if (whole == null) {
            whole = map(file);
            mappedExternalFiles.put(file, whole);
        }
        if (length < 0) length = expectedBytes;
        if (length != expectedBytes) {
            throw new CompileException(ErrorCode.BAD_TENSOR, "tensor '" + name + "': dims " + t.getDimsList() + " x "
                    + DataType.fromCode(t.getDataType(), name) + " need " + expectedBytes + " bytes but external data declares length " + length);
        }
        if (offset < 0 || offset + length > whole.byteSize()) {
            throw new CompileException(ErrorCode.TRUNCATED, "external data file " + file + " holds " + whole.byteSize()
                    + " bytes but tensor '" + name + "' needs bytes [" + offset + ", " + (offset + length) + ")");
        }
        return whole.asSlice(offset, length);
    }

    private static long parseLong(String tensor, String key, String value) throws CompileException {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new CompileException(ErrorCode.BAD_TENSOR, "tensor '" + tensor + "': external data " + key + " '" + value + "' is not a number");
        }
    }

    /** The resolved external-data file, which must stay inside the model folder even after following links. */
    static Path safeLocation(String tensor, String location, Path folder) throws CompileException {
        Path rel;
        try {
            rel = Path.of(location);
        } catch (RuntimeException e) {
            throw new CompileException(ErrorCode.UNSAFE_PATH, "tensor '" + tensor + "': external data location '" + location + "' is not a path");
        }
        boolean windowsAbsolute = location.length() > 1 && location.charAt(1) == ':' || location.startsWith("\\");
        if (rel.isAbsolute() || windowsAbsolute) {
            throw new CompileException(ErrorCode.UNSAFE_PATH, "tensor '" + tensor + "': external data location '" + location
                    + "' is absolute; it must be relative to the model folder " + folder);
        }
        for (Path part : rel) {
            if (part.toString().equals("..") || location.contains("..\\")) {
                throw new CompileException(ErrorCode.UNSAFE_PATH, "tensor '" + tensor + "': external data location '" + location
                        + "' escapes the model folder " + folder);
            }
        }
        Path file = folder.resolve(rel).normalize();
        if (!Files.exists(file)) {
            throw new CompileException(ErrorCode.FILE_NOT_FOUND, "external data file " + file + " (tensor '" + tensor + "') does not exist");
        }
        try {
            Path real = file.toRealPath();
            Path realFolder = folder.toRealPath();
            if (!real.startsWith(realFolder)) {
                throw new CompileException(ErrorCode.UNSAFE_PATH, "tensor '" + tensor + "': external data location '" + location
                        + "' resolves to " + real + ", outside the model folder " + realFolder);
            }
            return real;
        } catch (IOException e) {
            throw CompileException.io(file, e);
        }
    }
}
