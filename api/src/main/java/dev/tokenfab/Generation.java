package dev.tokenfab;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What one {@link Session#generate} or {@link Session#stream} call produced.
 *
 * @param promptIds    the prompt's token ids (encoded with the package's tokenizer for a text prompt)
 * @param generatedIds the generated ids, the end-of-sequence id included when it ended the generation
 * @param finish       why generation stopped
 * @param text         the generated text (end-of-sequence ids left out) when the package has a tokenizer, else empty
 * @param measured     host wall-clock figures of this generation
 * @param modeled      the package's modeled card figures
 */
public record Generation(int[] promptIds, int[] generatedIds, FinishReason finish, Optional<String> text,
                         MeasuredFigures measured, ModeledFigures modeled) {

    /**
     * Checks for nulls; copies the arrays.
     *
     * @throws NullPointerException naming the component when it is null
     */
    public Generation {
        promptIds = Objects.requireNonNull(promptIds, "Generation.promptIds").clone();
        generatedIds = Objects.requireNonNull(generatedIds, "Generation.generatedIds").clone();
        Objects.requireNonNull(finish, "Generation.finish");
        Objects.requireNonNull(text, "Generation.text");
        Objects.requireNonNull(measured, "Generation.measured");
        Objects.requireNonNull(modeled, "Generation.modeled");
    }

    /**
     * A copy of the prompt ids.
     *
     * @return the prompt's token ids
     */
    @Override
    public int[] promptIds() { return promptIds.clone(); }

    /**
     * A copy of the generated ids.
     *
     * @return the generated token ids, in order
     */
    @Override
    public int[] generatedIds() { return generatedIds.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Generation g && Arrays.equals(promptIds, g.promptIds) && Arrays.equals(generatedIds, g.generatedIds)
                && finish == g.finish && text.equals(g.text) && measured.equals(g.measured) && modeled.equals(g.modeled);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(promptIds), Arrays.hashCode(generatedIds), finish, text, measured, modeled);
    }

    /** The generated ids, the finish reason and the text when there is one. */
    @Override
    public String toString() {
        return "Generation" + Arrays.toString(generatedIds) + " (" + finish + ")" + text.map(t -> " \"" + t + "\"").orElse("");
    }
}
