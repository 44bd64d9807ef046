package dev.tokenfab.compiler.synth;

import static dev.tokenfab.compiler.synth.GraphBuilder.Attr;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;

/** What every form's graph needs: the spec, the node builder, the weights, and the helpers shared by forms. */
abstract class GraphContext {
    final SynthSpec s;
    final GraphBuilder g;
    final WeightFactory w;

    GraphContext(SynthSpec spec, GraphBuilder g, WeightFactory w) {
        this.s = spec;
        this.g = g;
        this.w = w;
    }

    /** Adds the nodes of the whole decoder. */
    abstract void build();

    /** Registers the initializer and returns a float32 view of it (Cast for fp16/bf16, as fp16 exports do). */
    String weight(String scope, SynthWeight weight) {
        return toFloat(scope, g.weight(weight));
    }

    String toFloat(String scope, String value) {
        if (w.type() == StoredType.F32) return value;
        return g.op(scope, "Cast", List.of(value), Attr.i("to", DataType.FLOAT_VALUE));
    }

    /** GPT-2's embedded input and the float token table (which a tied LM head transposes). */
    record Gpt2Input(String wte, String x) {}

    /** wte[input_ids] + wpe[position_ids], as every GPT-2 form exports it. */
    Gpt2Input gpt2Input() {
        String wte = weight("/transformer/wte", w.embedding("transformer.wte.weight"));
        String tok = g.op("/transformer/wte", "Gather", List.of(wte, DecoderIo.INPUT_IDS));
        String wpe = weight("/transformer/wpe", w.positionEmbedding("transformer.wpe.weight"));
        String pos = g.op("/transformer/wpe", "Gather", List.of(wpe, DecoderIo.POSITION_IDS));
        return new Gpt2Input(wte, g.op("/transformer", "Add", List.of(tok, pos)));
    }

    /** x @ W for a projection stored [in, out] (MatMul B). */
    String matmul(String scope, String x, SynthWeight weight) {
        return g.op(scope, "MatMul", List.of(x, weight(scope, weight)));
    }
}
