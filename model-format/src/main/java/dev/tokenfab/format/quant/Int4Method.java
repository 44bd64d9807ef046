package dev.tokenfab.format.quant;

/** INT4 method: round-to-nearest, activation-aware scaling, or GPTQ-style error feedback. */
public enum Int4Method { RTN, AWQ, GPTQ }
