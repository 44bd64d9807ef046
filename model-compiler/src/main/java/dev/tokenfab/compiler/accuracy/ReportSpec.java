package dev.tokenfab.compiler.accuracy;

import java.util.ArrayList;
import java.util.List;

/**
 * What the accuracy report measures.
 *
 * @param prompts  token-id prompts; empty = {@link #defaultPrompts} of the model's vocabulary
 * @param steps    compared positions per prompt (greedy steps of ONNX Runtime; clamped to the model's context)
 */
public record ReportSpec(List<long[]> prompts, int steps) {

    /** Steps per prompt when none are given (the default). */
    public static final int DEFAULT_STEPS = 16;

    public ReportSpec {
        prompts = List.copyOf(prompts);
        if (steps < 1) throw new IllegalArgumentException("report steps must be >= 1, was " + steps);
        for (long[] p : prompts) {
            if (p.length == 0) throw new IllegalArgumentException("report prompts must not be empty");
        }
    }

    public static ReportSpec defaults() { return new ReportSpec(List.of(), DEFAULT_STEPS); }

    /** The prompts for a vocabulary of {@code vocab} ids: the given ones, or the defaults; every id checked. */
    public List<long[]> promptsFor(int vocab) {
        List<long[]> ps = prompts.isEmpty() ? defaultPrompts(vocab) : prompts;
        for (long[] p : ps) {
            for (long id : p) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("report prompt id " + id + " outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
        return ps;
    }

    /** Evaluation prompts: [1,2,3,4], [5,17,42,9], [100,200,300,400] (all mod vocab). */
    public static List<long[]> defaultPrompts(int vocab) {
        return List.of(mod(vocab, 1, 2, 3, 4), mod(vocab, 5, 17, 42, 9), mod(vocab, 100, 200, 300, 400));
    }

    /** Parses "1,2,3,4;5,6,7": prompts separated by ';', ids by ','. */
    public static List<long[]> parsePrompts(String text) {
        List<long[]> out = new ArrayList<>();
        for (String prompt : text.split(";")) {
            String t = prompt.strip();
            if (t.isEmpty()) continue;
            String[] parts = t.split(",");
            long[] ids = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    ids[i] = Long.parseLong(parts[i].strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("report prompt '" + t + "': '" + parts[i].strip() + "' is not a token id");
                }
            }
            out.add(ids);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no prompts in '" + text + "'");
        return out;
    }

    private static long[] mod(int vocab, long... ids) {
        long[] r = new long[ids.length];
        for (int i = 0; i < ids.length; i++) r[i] = ids[i] % vocab;
        return r;
    }
}
