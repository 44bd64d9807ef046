package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.format.FormatException.ErrorCode;
import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.compiler.ir.DecoderModel;
import dev.tokenfab.format.model.TensorNames;
import dev.tokenfab.compiler.ir.WeightTensor;
import dev.tokenfab.compiler.onnx.ModelFolder;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Last step: walks the residual stream of a fused graph from the token embedding to the output and
 * fills {@link DecoderConfig} plus the canonical weights. Each block must read
 * norm → attention (q/k/v Linear → [Rope] → Attention → o Linear) → residual Add → norm → MLP → residual Add;
 * the block after the last is the final norm, then an optional LM head Linear. Anything else is
 * UNSUPPORTED_MODEL with the value where the walk stopped.
 */
public final class ExtractDecoder {

    private static final Set<String> VIEW_OPS = Set.of("Reshape", "Transpose", "Unsqueeze", "Squeeze", "Cast", "Identity");

    /**
     * @param graph  the graph after the fusion passes
     * @param folder configs found beside the model (fallbacks for context length and head counts)
     * @throws CompileException UNSUPPORTED_MODEL naming what is missing, BAD_TENSOR for weights of unusable types
     */
    public DecoderModel apply(Graph graph, ModelFolder folder) throws CompileException {
        return new Walk(graph, folder).run();
    }

    static String layoutOf(Node linear) {
        return linear.attributes().get("layout") instanceof dev.tokenfab.compiler.onnx.graph.Attribute.Str(String s) ? s : "IN_OUT";
    }

    /** A projection as the decoder sees it: a Linear, possibly one part of a packed output, possibly rotated. */
    record Projection(Node linear, long offset, long outFeatures, Node rope) {}

    private static final class Walk {
        final Graph graph;
        final Graph.Index idx;
        final ModelFolder folder;
        final Map<String, WeightTensor> weights = new LinkedHashMap<>();

        Walk(Graph graph, ModelFolder folder) {
            this.graph = graph;
            this.idx = graph.index();
            this.folder = folder;
        }

        CompileException unsupported(String what) {
            return new CompileException(ErrorCode.UNSUPPORTED_MODEL, graph.source() + ": " + what);
        }

        DecoderModel run() throws CompileException {
            Node tok = tokenEmbedding();
            Tensor tokTable = idx.constant(tok.input(0)).orElseThrow();
            long vocab = tokTable.dim(0), hidden = tokTable.dim(1);
            put(TensorNames.TOKEN_EMBEDDING, dense(TensorNames.TOKEN_EMBEDDING, tokTable, "OUT_IN"));
            String stream = viewsForward(tok.output(0));

            Tensor posTable = null;
            for (int guard = 0; guard < 4; guard++) {
                Optional<Node> add = idx.consumers(stream).stream().filter(c -> c.is("Add") && c.domain().isEmpty()).findFirst();
                if (add.isEmpty() || hasNormConsumer(stream)) break;
                String other = Patterns.other(add.get(), stream);
                Optional<Node> pos = idx.producer(viewsBack(other)).filter(p -> p.domain().equals(Op.TOKENFAB_DOMAIN)
                        && (p.opType().equals("PositionEmbedding") || p.opType().equals("Embedding")));
                Optional<Tensor> constant = idx.constant(Patterns.skipCasts(idx, other));
                if (pos.isPresent()) {
                    posTable = idx.constant(pos.get().input(0)).orElseThrow();
                } else if (constant.isEmpty() || !allZero(constant.get())) {
                    throw unsupported("the embedding output is added to '" + other + "', which is neither a position "
                            + "embedding nor a zero constant");
                }
                stream = add.get().output(0);
            }
            if (posTable != null) put(TensorNames.POSITION_EMBEDDING, dense(TensorNames.POSITION_EMBEDDING, posTable, "OUT_IN"));

            List<LayerFacts> layers = new ArrayList<>();
            Node finalNorm;
            while (true) {
                Node norm = normOf(stream);
                Optional<Node> attention = attentionAfter(norm.output(0));
                if (attention.isEmpty()) { finalNorm = norm; break; }
                LayerFacts f = layer(layers.size(), stream, norm, attention.get());
                layers.add(f);
                stream = f.streamOut;
            }
            if (layers.isEmpty()) throw unsupported("no decoder block found after the embedding (no attention fed by a norm)");

            putNorm(TensorNames.FINAL_NORM_WEIGHT, TensorNames.FINAL_NORM_BIAS, finalNorm);
            Optional<Node> head = idx.consumers(viewsForward(finalNorm.output(0))).stream().filter(this::isLinear).findFirst();
            boolean tied = false;
            if (head.isPresent()) {
                tied = head.get().input(1).equals(tok.input(0)) || sameValuesTransposed(head.get(), tokTable);
                if (!tied) put(TensorNames.LM_HEAD, linearWeight(TensorNames.LM_HEAD, new Projection(head.get(), 0, outFeatures(head.get()), null)));
            }

            LayerFacts l0 = layers.get(0);
            int numLayers = layers.size();
            for (int i = 1; i < numLayers; i++) {
                LayerFacts f = layers.get(i);
                if (f.norm != l0.norm || f.eps != l0.eps || f.activation != l0.activation || f.qDim != l0.qDim
                        || f.kvDim != l0.kvDim || f.intermediate != l0.intermediate || (f.rope == null) != (l0.rope == null)) {
                    throw unsupported("layer " + i + " differs from layer 0 (norm " + f.norm + "/" + l0.norm + ", eps " + f.eps + "/" + l0.eps
                            + ", activation " + f.activation + "/" + l0.activation + ", q/kv/mlp widths " + f.qDim + "/" + f.kvDim + "/"
                            + f.intermediate + " vs " + l0.qDim + "/" + l0.kvDim + "/" + l0.intermediate + "); the decoder IR has one block shape");
                }
            }
            Rope rope = l0.rope;
            long headDim = l0.headDim, heads = l0.heads, kvHeads = l0.kvHeads;
            if (headDim <= 0 && folder.headDim() > 0) headDim = folder.headDim();
            if (heads <= 0 && folder.numHeads() > 0) heads = folder.numHeads();
            if (headDim <= 0 && heads > 0) headDim = l0.qDim / heads;
            if (headDim <= 0) throw unsupported("cannot tell the head size: no KV-cache input shape, head Reshape or num_heads attribute");
            if (heads <= 0) heads = l0.qDim / headDim;
            if (kvHeads <= 0) kvHeads = l0.kvDim / headDim;
            if (heads * headDim != l0.qDim || kvHeads * headDim != l0.kvDim) {
                throw unsupported("head geometry " + heads + " x " + headDim + " (kv " + kvHeads + ") does not match q/k widths "
                        + l0.qDim + "/" + l0.kvDim);
            }
            int maxContext = -1;
            if (rope != null && rope.cos != null) maxContext = (int) rope.cos.dim(0);
            if (posTable != null) maxContext = (int) posTable.dim(0);
            if (maxContext <= 0) maxContext = folder.contextLength();
            if (maxContext <= 0) throw unsupported("cannot tell the maximum context: no position table, RoPE cache or config");

            float theta = 0;
            int rotaryDim = 0;
            DecoderConfig.RopeLayout ropeLayout = DecoderConfig.RopeLayout.HALF_SPLIT;
            if (rope != null) {
                rotaryDim = rope.rotaryDim((int) headDim);
                theta = rope.theta(rotaryDim, graph);
                ropeLayout = rope.interleaved ? DecoderConfig.RopeLayout.INTERLEAVED : DecoderConfig.RopeLayout.HALF_SPLIT;
            }
            boolean attnBias = layers.stream().anyMatch(f -> f.attnBias), mlpBias = layers.stream().anyMatch(f -> f.mlpBias);
            for (LayerFacts f : layers) fillMissingBiases(f, attnBias, mlpBias, (int) hidden);

            DecoderConfig config = new DecoderConfig(
                    rope != null ? DecoderConfig.Family.LLAMA : DecoderConfig.Family.GPT2,
                    (int) vocab, (int) hidden, numLayers, (int) heads, (int) kvHeads, (int) headDim,
                    (int) l0.intermediate, maxContext, l0.norm, l0.eps, l0.activation,
                    rope != null ? DecoderConfig.PositionEncoding.ROPE : DecoderConfig.PositionEncoding.LEARNED,
                    theta, rope != null ? rotaryDim : (int) headDim, ropeLayout, tied, head.isPresent(), attnBias, mlpBias);
            if (rope == null && posTable == null) throw unsupported("no positional information: neither RoPE nor a position embedding");
            return new DecoderModel(config, canonicalOrder(weights, numLayers), graph.source(), folder.generation());
        }

        /** Weights in the order the packer writes them: embeddings, each layer in TensorNames order, final norm, head. */
        static Map<String, WeightTensor> canonicalOrder(Map<String, WeightTensor> w, int layers) {
            List<String> order = new ArrayList<>(List.of(TensorNames.TOKEN_EMBEDDING, TensorNames.POSITION_EMBEDDING));
            for (int i = 0; i < layers; i++) {
                TensorNames.Layer l = TensorNames.layer(i);
                order.addAll(List.of(l.attnNormWeight(), l.attnNormBias(), l.wq(), l.bq(), l.wk(), l.bk(), l.wv(), l.bv(),
                        l.wo(), l.bo(), l.mlpNormWeight(), l.mlpNormBias(), l.wGate(), l.bGate(), l.wUp(), l.bUp(), l.wDown(), l.bDown()));
            }
            order.addAll(List.of(TensorNames.FINAL_NORM_WEIGHT, TensorNames.FINAL_NORM_BIAS, TensorNames.LM_HEAD));
            Map<String, WeightTensor> out = new LinkedHashMap<>();
            for (String name : order) if (w.containsKey(name)) out.put(name, w.get(name));
            if (out.size() != w.size()) throw new IllegalStateException("weights outside the canonical names: " + w.keySet());
            return java.util.Collections.unmodifiableMap(out);
        }

        /** Exporters often materialize a tied head as its own [hidden, vocab] copy of the embedding table. */
        boolean sameValuesTransposed(Node head, Tensor table) {
            Optional<Tensor> w = idx.constant(head.input(1));
            if (w.isEmpty() || w.get().dtype() != table.dtype() || w.get().rank() != 2 || head.attributes().containsKey("format")) return false;
            boolean inOut = layoutOf(head).equals("IN_OUT");
            long vocab = table.dim(0), hidden = table.dim(1);
            if (inOut ? (w.get().dim(0) != hidden || w.get().dim(1) != vocab) : (w.get().dim(0) != vocab || w.get().dim(1) != hidden)) return false;
            for (long r = 0; r < vocab; r++) {
                for (long c = 0; c < hidden; c++) {
                    double h = inOut ? w.get().getDouble(c * vocab + r) : w.get().getDouble(r * hidden + c);
                    if (Double.compare(h, table.getDouble(r * hidden + c)) != 0) return false;
                }
            }
            return true;
        }

        static boolean allZero(Tensor t) {
            for (long i = 0; i < t.elementCount(); i++) if (t.getDouble(i) != 0) return false;
            return true;
        }

        /** The Embedding indexed (through views/slices/casts) by the ids input. */
        Node tokenEmbedding() throws CompileException {
            String ids = graph.inputs().stream().map(v -> v.name()).filter(n -> n.equals("input_ids")).findFirst()
                    .orElse(graph.inputs().isEmpty() ? "" : graph.inputs().get(0).name());
            for (Node n : graph.nodes()) {
                if (!n.domain().equals(Op.TOKENFAB_DOMAIN) || !n.opType().equals("Embedding")) continue;
                String v = n.input(1);
                for (int i = 0; i < 8 && !v.equals(ids); i++) {
                    Optional<Node> p = idx.producer(v);
                    if (p.isEmpty() || !(VIEW_OPS.contains(p.get().opType()) || p.get().is("Slice"))) break;
                    v = p.get().input(0);
                }
                if (v.equals(ids)) return n;
            }
            throw unsupported("no token embedding found: expected a Gather of a constant [vocab, hidden] table indexed by '" + ids + "'");
        }

        boolean hasNormConsumer(String v) {
            return idx.consumers(v).stream().anyMatch(this::isNorm);
        }

        boolean isNorm(Node n) {
            return n.domain().equals(Op.TOKENFAB_DOMAIN) && (n.opType().equals("RmsNorm") || n.opType().equals("LayerNorm"));
        }

        boolean isLinear(Node n) {
            return n.domain().equals(Op.TOKENFAB_DOMAIN) && n.opType().equals("Linear");
        }

        boolean isTf(Node n, String op) {
            return n.domain().equals(Op.TOKENFAB_DOMAIN) && n.opType().equals(op);
        }

        Node normOf(String stream) throws CompileException {
            return idx.consumers(stream).stream().filter(this::isNorm).findFirst()
                    .orElseThrow(() -> unsupported("the residual stream value '" + stream + "' feeds no RMSNorm/LayerNorm; "
                            + "consumers: " + idx.consumers(stream).stream().map(Node::describe).toList()));
        }

        /** The Attention whose query projection reads {@code normed}. */
        Optional<Node> attentionAfter(String normed) {
            for (Node n : graph.nodes()) {
                if (!isTf(n, "Attention")) continue;
                Optional<Projection> q = projection(n.input(0));
                if (q.isPresent() && viewsBack(q.get().linear.input(0)).equals(normed)) return Optional.of(n);
            }
            return Optional.empty();
        }

        /** Resolves an attention operand to its projection (through views, Rope and a packed Split). */
        Optional<Projection> projection(String value) {
            String v = value;
            Node rope = null;
            long offset = -1, width = -1;
            for (int step = 0; step < 16; step++) {
                Optional<Node> p = idx.producer(v);
                if (p.isEmpty()) return Optional.empty();
                Node n = p.get();
                if (isLinear(n)) {
                    long out = outFeatures(n);
                    if (offset < 0) { offset = 0; width = out; }
                    return Optional.of(new Projection(n, offset, width, rope));
                } else if (isTf(n, "Rope")) {
                    rope = n;
                    v = n.input(0);
                } else if (n.is("Split") && n.domain().isEmpty()) {
                    int part = n.outputs().indexOf(v);
                    long total = splitTotal(n);
                    List<Long> sizes = splitSizes(n, total);
                    if (sizes == null) return Optional.empty();
                    offset = 0;
                    for (int i = 0; i < part; i++) offset += sizes.get(i);
                    width = sizes.get(part);
                    v = n.input(0);
                } else if ((VIEW_OPS.contains(n.opType()) || n.is("Slice")) && n.domain().isEmpty()) {
                    v = n.input(0);
                } else {
                    return Optional.empty();
                }
            }
            return Optional.empty();
        }

        long splitTotal(Node split) {
            Optional<Node> lin = Optional.empty();
            String v = split.input(0);
            for (int i = 0; i < 6 && lin.isEmpty(); i++) {
                Optional<Node> p = idx.producer(v);
                if (p.isEmpty()) break;
                if (isLinear(p.get())) lin = p;
                else v = p.get().input(0);
            }
            return lin.map(this::outFeatures).orElse(-1L);
        }

        List<Long> splitSizes(Node split, long total) {
            List<Long> sizes = split.intsAttr("split");
            if (sizes.isEmpty() && split.hasInput(1)) {
                sizes = idx.constant(split.input(1)).map(t -> java.util.Arrays.stream(t.toLongArray()).boxed().toList()).orElse(List.of());
            }
            if (sizes.isEmpty() && total > 0) {
                int parts = split.outputs().size();
                if (total % parts != 0) return null;
                sizes = java.util.Collections.nCopies(parts, total / parts);
            }
            return sizes.isEmpty() ? null : sizes;
        }

        long outFeatures(Node linear) {
            if (linear.attributes().get("N") instanceof dev.tokenfab.compiler.onnx.graph.Attribute.Int(long n) && n > 0) return n;
            Tensor w = idx.constant(linear.input(1)).orElseThrow();
            return layoutOf(linear).equals("IN_OUT") ? w.dim(1) : w.dim(0);
        }


        /** The value behind a chain of views (Reshape/Transpose/Cast ...). */
        String viewsBack(String v) {
            for (int i = 0; i < 6; i++) {
                Optional<Node> p = idx.producer(v);
                if (p.isEmpty() || !VIEW_OPS.contains(p.get().opType()) || !p.get().domain().isEmpty()) return v;
                v = p.get().input(0);
            }
            return v;
        }

        /** The value after following single data-path views forward (to where a Linear reads it). */
        String viewsForward(String v) {
            for (int i = 0; i < 6; i++) {
                List<Node> data = idx.consumers(v).stream().filter(c -> !c.is("Shape")).toList();
                if (data.size() != 1 || !VIEW_OPS.contains(data.get(0).opType()) || !data.get(0).domain().isEmpty()) return v;
                v = data.get(0).output(0);
            }
            return v;
        }

        /** The residual Add of {@code stream} with {@code branch} (the branch may pass through views). */
        Node residual(String stream, String branch, String what) throws CompileException {
            String b = viewsForward(branch);
            for (Node c : idx.consumers(b)) {
                if (c.is("Add") && c.domain().isEmpty() && Patterns.other(c, b).equals(stream)) return c;
            }
            throw unsupported("the " + what + " output '" + branch + "' is not added back to the residual stream '" + stream
                    + "' (parallel or post-norm blocks are not supported)");
        }

        LayerFacts layer(int i, String stream, Node norm1, Node attention) throws CompileException {
            TensorNames.Layer names = TensorNames.layer(i);
            LayerFacts f = new LayerFacts();
            f.norm = isTf(norm1, "RmsNorm") ? DecoderConfig.NormKind.RMS_NORM : DecoderConfig.NormKind.LAYER_NORM;
            f.eps = norm1.floatAttr("epsilon", 1e-5f);
            f.names = names;
            putNorm(names.attnNormWeight(), names.attnNormBias(), norm1);

            Projection q = projection(attention.input(0)).orElseThrow(() -> unsupported("layer " + i + ": query has no projection"));
            Projection k, v;
            if (attention.intAttr("packed_qkv", 0) == 1) {
                // GroupQueryAttention with key/value omitted: one projection holds [q | k | v] columns
                long heads = attention.intAttr("num_heads", 0), kvHeads = attention.intAttr("kv_num_heads", 0);
                long total = q.outFeatures;
                if (heads <= 0 || kvHeads <= 0 || total % (heads + 2 * kvHeads) != 0) {
                    throw unsupported("layer " + i + ": packed QKV of width " + total + " does not split into "
                            + heads + " query and 2 x " + kvHeads + " KV heads");
                }
                long d = total / (heads + 2 * kvHeads);
                Projection whole = q;
                q = new Projection(whole.linear, whole.offset, heads * d, whole.rope);
                k = new Projection(whole.linear, whole.offset + heads * d, kvHeads * d, whole.rope);
                v = new Projection(whole.linear, whole.offset + (heads + kvHeads) * d, kvHeads * d, null);
            } else {
                k = projection(attention.input(1)).orElseThrow(() -> unsupported("layer " + i + ": key has no projection"));
                v = projection(attention.input(2)).orElseThrow(() -> unsupported("layer " + i + ": value has no projection"));
            }
            f.qDim = q.outFeatures;
            f.kvDim = k.outFeatures;
            f.heads = attention.intAttr("num_heads", 0);
            f.kvHeads = attention.intAttr("kv_num_heads", 0);
            f.headDim = attention.intAttr("head_dim", 0);
            if (q.rope != null) f.rope = Rope.of(q.rope, idx);
            else if (attention.hasInput(5) && attention.hasInput(6)) f.rope = Rope.ofCaches(attention, idx);
            put(names.wq(), linearWeight(names.wq(), q));
            put(names.wk(), linearWeight(names.wk(), k));
            put(names.wv(), linearWeight(names.wv(), v));
            f.attnBias |= putBias(names.bq(), q) | putBias(names.bk(), k) | putBias(names.bv(), v);

            String attnOut = viewsForward(attention.output(0));
            Node o = idx.consumers(attnOut).stream().filter(this::isLinear).findFirst()
                    .orElseThrow(() -> unsupported("layer " + i + ": attention output '" + attention.output(0) + "' feeds no output projection"));
            Projection op = new Projection(o, 0, outFeatures(o), null);
            put(names.wo(), linearWeight(names.wo(), op));
            f.attnBias |= putBias(names.bo(), op);
            Node add1 = residual(stream, o.output(0), "layer " + i + " attention");
            String mid = add1.output(0);

            Node norm2 = normOf(mid);
            putNorm(names.mlpNormWeight(), names.mlpNormBias(), norm2);
            String h2 = norm2.output(0);
            List<Node> mlpIn = idx.consumers(viewsForward(h2)).stream().filter(this::isLinear).toList();
            Node down;
            if (mlpIn.size() == 2) {
                Node glu = mlpIn.stream().flatMap(l -> idx.consumers(viewsForward(l.output(0))).stream()).filter(c -> isTf(c, "SwiGlu")).findFirst()
                        .orElseThrow(() -> unsupported("layer " + i + ": two MLP projections but no SwiGLU (silu(gate) * up) joins them"));
                Node gate = idx.producer(viewsBack(glu.input(0))).filter(this::isLinear).orElseThrow(() -> unsupported("layer " + i + ": SwiGLU gate is not a projection"));
                Node up = idx.producer(viewsBack(glu.input(1))).filter(this::isLinear).orElseThrow(() -> unsupported("layer " + i + ": SwiGLU up is not a projection"));
                Projection gp = new Projection(gate, 0, outFeatures(gate), null), upp = new Projection(up, 0, outFeatures(up), null);
                put(names.wGate(), linearWeight(names.wGate(), gp));
                put(names.wUp(), linearWeight(names.wUp(), upp));
                f.mlpBias |= putBias(names.bGate(), gp) | putBias(names.bUp(), upp);
                f.activation = DecoderConfig.Activation.SILU_GLU;
                f.intermediate = gp.outFeatures;
                down = idx.consumers(viewsForward(glu.output(0))).stream().filter(this::isLinear).findFirst()
                        .orElseThrow(() -> unsupported("layer " + i + ": SwiGLU output feeds no down projection"));
            } else if (mlpIn.size() == 1) {
                Node fc = mlpIn.get(0);
                Node act = idx.consumers(viewsForward(fc.output(0))).stream().filter(c -> isTf(c, "GeluTanh") || isTf(c, "GeluErf")).findFirst()
                        .orElseThrow(() -> unsupported("layer " + i + ": MLP activation after '" + fc.name() + "' is not GELU or SwiGLU"));
                f.activation = isTf(act, "GeluTanh") ? DecoderConfig.Activation.GELU_TANH : DecoderConfig.Activation.GELU_ERF;
                Projection fp = new Projection(fc, 0, outFeatures(fc), null);
                put(names.wUp(), linearWeight(names.wUp(), fp));
                f.mlpBias |= putBias(names.bUp(), fp);
                f.intermediate = fp.outFeatures;
                down = idx.consumers(viewsForward(act.output(0))).stream().filter(this::isLinear).findFirst()
                        .orElseThrow(() -> unsupported("layer " + i + ": GELU output feeds no down projection"));
            } else {
                throw unsupported("layer " + i + ": the MLP norm output feeds " + mlpIn.size() + " projections (expected 1 or 2)");
            }
            Projection dp = new Projection(down, 0, outFeatures(down), null);
            put(names.wDown(), linearWeight(names.wDown(), dp));
            f.mlpBias |= putBias(names.bDown(), dp);
            f.streamOut = residual(mid, down.output(0), "layer " + i + " MLP").output(0);
            return f;
        }

        void put(String name, WeightTensor t) { weights.put(name, t); }

        void putNorm(String weightName, String biasName, Node norm) throws CompileException {
            put(weightName, dense(weightName, idx.constant(Patterns.skipCasts(idx, norm.input(1))).orElseThrow(
                    () -> unsupported(norm.describe() + ": norm weight is not a constant")), "OUT_IN"));
            if (norm.hasInput(2)) {
                put(biasName, dense(biasName, idx.constant(Patterns.skipCasts(idx, norm.input(2))).orElseThrow(
                        () -> unsupported(norm.describe() + ": norm bias is not a constant")), "OUT_IN"));
            }
        }

        boolean putBias(String name, Projection p) throws CompileException {
            if (!p.linear.hasInput(2)) return false;
            Tensor b = idx.constant(Patterns.skipCasts(idx, p.linear.input(2))).orElseThrow();
            put(name, Weights.biasSlice(name, b, p.offset, p.outFeatures));
            return true;
        }

        void fillMissingBiases(LayerFacts f, boolean attn, boolean mlp, int hidden) {
            TensorNames.Layer n = f.names;
            if (attn) {
                weights.putIfAbsent(n.bq(), Weights.zeros(n.bq(), f.qDim));
                weights.putIfAbsent(n.bk(), Weights.zeros(n.bk(), f.kvDim));
                weights.putIfAbsent(n.bv(), Weights.zeros(n.bv(), f.kvDim));
                weights.putIfAbsent(n.bo(), Weights.zeros(n.bo(), hidden));
            }
            if (mlp) {
                if (f.activation == DecoderConfig.Activation.SILU_GLU) weights.putIfAbsent(n.bGate(), Weights.zeros(n.bGate(), f.intermediate));
                weights.putIfAbsent(n.bUp(), Weights.zeros(n.bUp(), f.intermediate));
                weights.putIfAbsent(n.bDown(), Weights.zeros(n.bDown(), hidden));
            }
        }

        WeightTensor dense(String name, Tensor t, String layout) throws CompileException {
            return Weights.dense(name, t, layout);
        }

        WeightTensor linearWeight(String name, Projection p) throws CompileException {
            return Weights.linear(name, p, idx);
        }
    }

    /** Per-layer facts gathered during the walk. */
    static final class LayerFacts {
        TensorNames.Layer names;
        DecoderConfig.NormKind norm;
        float eps;
        DecoderConfig.Activation activation;
        long qDim, kvDim, heads, kvHeads, headDim, intermediate;
        boolean attnBias, mlpBias;
        Rope rope;
        String streamOut;
    }
}
