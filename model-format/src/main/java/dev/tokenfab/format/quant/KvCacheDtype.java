package dev.tokenfab.format.quant;

/** Element type of the KV cache in device memory (int8 carries a float scale per token and head). */
public enum KvCacheDtype { FP16, INT8 }
