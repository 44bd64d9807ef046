package dev.tokenfab;

/**
 * One generated token, as a {@link TokenListener} receives it.
 *
 * @param index position among the generated tokens (0 = the first token after the prompt)
 * @param id    token id in the model's vocabulary
 * @param text  the text this token adds when the package has a tokenizer: empty when it has none,
 *              for an end-of-sequence id, or while a multi-byte character is still incomplete
 */
public record Token(int index, int id, String text) {

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException when {@code index} or {@code id} is negative
     * @throws NullPointerException     when {@code text} is null
     */
    public Token {
        if (index < 0) throw new IllegalArgumentException("Token index must be >= 0, was " + index);
        if (id < 0) throw new IllegalArgumentException("Token id must be >= 0, was " + id);
        java.util.Objects.requireNonNull(text, "Token text");
    }
}
