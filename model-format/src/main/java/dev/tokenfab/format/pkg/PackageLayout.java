package dev.tokenfab.format.pkg;

/** File names inside a model package directory: one place, shared by the writer and every reader. */
public final class PackageLayout {

    public static final String MANIFEST = "manifest.json";
    public static final String DATAFLOW = "dataflow.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String REPORTS_DIR = "reports";

    /** Bank NN's weight file, relative to the package directory. */
    public static String bankFile(int bank) { return String.format("weights/bank-%02d.bin", bank); }

    /** The digest every file entry of the manifest carries (hex). */
    public static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    private PackageLayout() {}
}
