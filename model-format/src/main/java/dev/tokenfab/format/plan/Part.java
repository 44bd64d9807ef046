package dev.tokenfab.format.plan;

/**
 * One byte range inside a bank file: where a part (codes, scales, zero points) of a tensor shard
 * lies. The plan places it and the manifest lists it, so it lives with the plan.
 */
public record Part(long offsetBytes, long sizeBytes) {}
