package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Rewrites ONNX Runtime's multi-purpose fused ops (semantics: onnxruntime docs/ContribOperators.md)
 * into the same primitive + semantic form a raw export reaches after fusion, so that one recognizer
 * serves every form:
 * <ul>
 *   <li>SkipLayerNormalization / SkipSimplifiedLayerNormalization (input, skip, gamma[, beta][, bias])
 *       → Add(branch, bias) + Add(input, skip) = output 3 + LayerNorm/RmsNorm = output 0;</li>
 *   <li>EmbedLayerNormalization → Embedding + PositionEmbedding + Add (= output 2) + LayerNorm (= output 0);</li>
 *   <li>FastGelu(x, bias) → Add + GeluTanh; BiasGelu → Add + GeluErf; Gelu → GeluErf;</li>
 *   <li>Attention(x, weights [hidden, 3 hidden], bias, mask, past) → MatMul + Add + Split + tokenfab Attention
 *       with a packed past [2, B, heads, S, headDim].</li>
 * </ul>
 * The bias of a Skip*Norm goes onto the operand that a MatMul produced, where FuseLinear absorbs it.
 */
public final class DecomposeContribOps implements GraphPass {

    @Override
    public Graph apply(Graph graph) throws CompileException {
        GraphEditor edit = new GraphEditor(graph);
        Graph.Index idx = graph.index();
        for (Node n : graph.nodes()) {
            if (n.isContrib("SkipLayerNormalization")) skipNorm(n, edit, idx, "LayerNorm", n.input(3), n.input(4));
            else if (n.isContrib("SkipSimplifiedLayerNormalization")) skipNorm(n, edit, idx, "RmsNorm", "", n.input(3));
            else if (n.isContrib("EmbedLayerNormalization")) embedNorm(n, edit);
            else if (n.isContrib("FastGelu")) biasActivation(n, edit, "GeluTanh");
            else if (n.isContrib("BiasGelu")) biasActivation(n, edit, "GeluErf");
            else if (n.isContrib("Gelu")) biasActivation(n, edit, "GeluErf");
            else if (n.isContrib("Attention")) packedAttention(n, edit);
            else if (n.isContrib("MultiHeadAttention") && n.hasInput(3) && n.hasInput(1)) attentionBias(n, edit, idx);
        }
        return edit.build();
    }

    private static boolean isProjection(Node p) {
        return p.is("MatMul") || p.isContrib("MatMulNBits");
    }

    private static void skipNorm(Node n, GraphEditor edit, Graph.Index idx, String norm, String beta, String bias) {
        edit.remove(n);
        String input = n.input(0), skip = n.input(1);
        if (!bias.isEmpty()) {
            // the bias belongs to the projection that feeds the residual: attach it where a MatMul (or MatMulNBits) produced the operand
            boolean skipIsBranch = idx.producer(skip).filter(DecomposeContribOps::isProjection).isPresent()
                    && idx.producer(input).filter(DecomposeContribOps::isProjection).isEmpty();
            String branch = skipIsBranch ? skip : input;
            String biased = edit.fresh(n.name() + "/bias");
            edit.add(new Node(n.name() + "/bias_add", "", "Add", List.of(branch, bias), List.of(biased), Map.of()));
            if (skipIsBranch) skip = biased;
            else input = biased;
        }
        String sum = n.output(3).isEmpty() ? edit.fresh(n.name() + "/sum") : n.output(3);
        edit.add(new Node(n.name() + "/residual", "", "Add", List.of(input, skip), List.of(sum), Map.of()));
        List<String> normIn = new ArrayList<>(List.of(sum, n.input(2)));
        if (!beta.isEmpty()) normIn.add(beta);
        edit.add(GraphEditor.tf(n.name() + "/norm", norm, normIn, List.of(n.output(0)), epsilon(n)));
    }

    private static Map<String, Attribute> epsilon(Node n) {
        return Map.of("epsilon", new Attribute.Float(n.floatAttr("epsilon", 1e-5f)));
    }

    private static void embedNorm(Node n, GraphEditor edit) {
        edit.remove(n);
        String tok = edit.fresh(n.name() + "/tok");
        edit.add(GraphEditor.tf(n.name() + "/embed", "Embedding", List.of(n.input(2), n.input(0)), List.of(tok), Map.of()));
        String sum = n.output(2).isEmpty() ? edit.fresh(n.name() + "/sum") : n.output(2);
        if (n.hasInput(3)) {
            String pos = edit.fresh(n.name() + "/pos");
            // without position_ids the op uses positions 0..S-1; the decoder reads the table either way
            List<String> posIn = n.hasInput(8) ? List.of(n.input(3), n.input(8)) : List.of(n.input(3));
            edit.add(GraphEditor.tf(n.name() + "/pos_embed", "PositionEmbedding", posIn, List.of(pos), Map.of()));
            edit.add(new Node(n.name() + "/add", "", "Add", List.of(tok, pos), List.of(sum), Map.of()));
        } else {
            edit.add(new Node(n.name() + "/add", "", "Identity", List.of(tok), List.of(sum), Map.of()));
        }
        edit.add(GraphEditor.tf(n.name() + "/norm", "LayerNorm", List.of(sum, n.input(5), n.input(6)),
                List.of(n.output(0)), epsilon(n)));
    }

    private static void biasActivation(Node n, GraphEditor edit, String act) {
        edit.remove(n);
        String x = n.input(0);
        if (n.hasInput(1)) {
            x = edit.fresh(n.name() + "/biased");
            edit.add(new Node(n.name() + "/bias_add", "", "Add", List.of(n.input(0), n.input(1)), List.of(x), Map.of()));
        }
        edit.add(GraphEditor.tf(n.name() + "/act", act, List.of(x), List.of(n.output(0)), Map.of()));
    }

    /**
     * MultiHeadAttention's optional bias [3·hidden] is added to query, key and value inside the op: pull it out
     * as three Adds of constant slices (views of the initializer) so the projections absorb it as their biases.
     */
    private static void attentionBias(Node n, GraphEditor edit, Graph.Index idx) {
        java.util.Optional<dev.tokenfab.compiler.onnx.graph.Tensor> bias = idx.constant(Patterns.skipCasts(idx, n.input(3)));
        if (bias.isEmpty() || bias.get().rank() != 1 || bias.get().elementCount() % 3 != 0) return;
        var b = bias.get();
        long part = b.elementCount() / 3, bytes = b.dtype().sizeBytes(part);
        List<String> inputs = new ArrayList<>(n.inputs());
        for (int i = 0; i < 3; i++) {
            var slice = new dev.tokenfab.compiler.onnx.graph.Tensor(b.name() + "/part" + i, b.dtype(), List.of(part), b.data().asSlice(i * bytes, bytes));
            edit.addInitializer(slice);
            String biased = edit.fresh(n.name() + "/biased" + i);
            edit.add(new Node(n.name() + "/bias_add" + i, "", "Add", List.of(n.input(i), slice.name()), List.of(biased), Map.of()));
            inputs.set(i, biased);
        }
        inputs.set(3, "");
        edit.remove(n);
        edit.add(new Node(n.name(), n.domain(), n.opType(), inputs, n.outputs(), n.attributes()));
    }

    private static void packedAttention(Node n, GraphEditor edit) {
        edit.remove(n);
        String proj = edit.fresh(n.name() + "/qkv");
        edit.add(new Node(n.name() + "/qkv_matmul", "", "MatMul", List.of(n.input(0), n.input(1)), List.of(proj), Map.of()));
        if (n.hasInput(2)) {
            String biased = edit.fresh(n.name() + "/qkv_bias");
            edit.add(new Node(n.name() + "/qkv_bias_add", "", "Add", List.of(proj, n.input(2)), List.of(biased), Map.of()));
            proj = biased;
        }
        String q = edit.fresh(n.name() + "/q"), k = edit.fresh(n.name() + "/k"), v = edit.fresh(n.name() + "/v");
        Map<String, Attribute> splitAttrs = Map.of("axis", new Attribute.Int(-1));
        List<Long> sizes = n.intsAttr("qkv_hidden_sizes");
        if (!sizes.isEmpty()) splitAttrs = Map.of("axis", new Attribute.Int(-1), "split", new Attribute.Ints(sizes));
        edit.add(new Node(n.name() + "/split", "", "Split", List.of(proj), List.of(q, k, v), splitAttrs));
        long heads = n.intAttr("num_heads", 0);
        edit.add(GraphEditor.tf(n.name() + "/attention", "Attention", List.of(q, k, v, n.input(4), ""),
                List.of(n.output(0), n.output(1)),
                Map.of("num_heads", new Attribute.Int(heads), "kv_num_heads", new Attribute.Int(heads),
                        "packed_past", new Attribute.Int(1))));
    }
}
