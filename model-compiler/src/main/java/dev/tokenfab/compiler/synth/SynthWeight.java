package dev.tokenfab.compiler.synth;

/**
 * One initializer of a synthetic model.
 *
 * @param name       initializer name in the ONNX graph
 * @param dims       ONNX dims of the stored tensor
 * @param type       stored element type
 * @param values     the numbers, in storage order
 * @param parameter  counts as a model parameter (false for computed tables such as RoPE caches)
 */
record SynthWeight(String name, long[] dims, StoredType type, WeightValues values, boolean parameter) {
    SynthWeight {
        long n = 1;
        for (long d : dims) n *= d;
        if (n != values.count()) {
            throw new IllegalArgumentException("weight " + name + ": dims give " + n + " elements, values " + values.count());
        }
    }

    long elementCount() { return values.count(); }

    long sizeBytes() { return values.count() * type.bytes; }
}
