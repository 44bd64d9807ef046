/**
 * Text in and out of a model package: {@link dev.tokenfab.host.text.Tokenizer} wraps the Hugging Face
 * {@code tokenizer.json} that the compiler copies into the package (through DJL's binding of the Rust
 * tokenizers library, whose native part ships inside the DJL jar), and
 * {@link dev.tokenfab.host.text.StreamDecoder} turns generated ids into text one token at a time.
 */
package dev.tokenfab.host.text;
