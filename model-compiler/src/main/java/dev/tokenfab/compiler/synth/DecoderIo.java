package dev.tokenfab.compiler.synth;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;

/**
 * The graph interface of every synthetic decoder, named as onnxruntime-genai's model builder names it:
 * inputs {@code input_ids} int64 [batch, seq], {@code attention_mask} int64 [batch, total_seq],
 * {@code position_ids} int64 [batch, seq], {@code past_key_values.N.key/value} float32
 * [batch, kvHeads, past_seq, headDim]; outputs {@code logits} float32 [batch, seq, vocab] and
 * {@code present.N.key/value} float32 [batch, kvHeads, total_seq, headDim].
 */
public final class DecoderIo {
    private DecoderIo() {}

    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String POSITION_IDS = "position_ids";
    public static final String LOGITS = "logits";
    static final String BATCH = "batch_size", SEQ = "sequence_length", TOTAL = "total_sequence_length",
            PAST = "past_sequence_length";

    public static String pastKey(int layer) { return "past_key_values." + layer + ".key"; }
    public static String pastValue(int layer) { return "past_key_values." + layer + ".value"; }
    public static String presentKey(int layer) { return "present." + layer + ".key"; }
    public static String presentValue(int layer) { return "present." + layer + ".value"; }

    static void declare(GraphBuilder g, SynthSpec s) {
        g.input(INPUT_IDS, DataType.INT64, BATCH, SEQ);
        g.input(ATTENTION_MASK, DataType.INT64, BATCH, TOTAL);
        g.input(POSITION_IDS, DataType.INT64, BATCH, SEQ);
        for (int l = 0; l < s.layers(); l++) {
            g.input(pastKey(l), DataType.FLOAT, BATCH, (long) s.kvHeads(), PAST, (long) s.headDim());
            g.input(pastValue(l), DataType.FLOAT, BATCH, (long) s.kvHeads(), PAST, (long) s.headDim());
        }
        g.output(LOGITS, DataType.FLOAT, BATCH, SEQ, (long) s.vocab());
        for (int l = 0; l < s.layers(); l++) {
            g.output(presentKey(l), DataType.FLOAT, BATCH, (long) s.kvHeads(), TOTAL, (long) s.headDim());
            g.output(presentValue(l), DataType.FLOAT, BATCH, (long) s.kvHeads(), TOTAL, (long) s.headDim());
        }
    }
}
