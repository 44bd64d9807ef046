package dev.tokenfab.compiler.reference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the figures of a fixture's REFERENCE.txt (section of a given ONNX Runtime version). */
record ReferenceFile(long[] greedy, float[] prefillFirst5, String outputName) {

    static ReferenceFile read(Path file, String ortVersion) throws IOException {
        List<String> lines = Files.readAllLines(file);
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("### onnxruntime-" + ortVersion + " opt=all")) { start = i; break; }
        }
        if (start < 0) throw new IOException(file + ": no section for onnxruntime-" + ortVersion + " opt=all");
        long[] greedy = null;
        float[] first5 = null;
        String output = null;
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("###"); i++) {
            String l = lines.get(i).trim();
            if (l.startsWith("GREEDY")) {
                greedy = Arrays.stream(list(l.substring(l.indexOf('=')))).mapToLong(s -> Long.parseLong(s.trim())).toArray();
            } else if (l.startsWith("PREFILL")) {
                Matcher m = Pattern.compile("\\): (\\S+) shape=").matcher(l);
                if (m.find()) output = m.group(1);
                String[] f = list(l.substring(l.indexOf("first5=")));
                first5 = new float[f.length];
                for (int k = 0; k < f.length; k++) first5[k] = Float.parseFloat(f[k].trim());
            }
        }
        if (greedy == null || first5 == null) throw new IOException(file + ": GREEDY or PREFILL line missing");
        return new ReferenceFile(greedy, first5, output);
    }

    private static String[] list(String s) {
        return s.substring(s.indexOf('[') + 1, s.indexOf(']')).split(",");
    }
}
