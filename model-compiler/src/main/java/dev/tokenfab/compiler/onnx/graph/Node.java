package dev.tokenfab.compiler.onnx.graph;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One operator application. An empty input name means an omitted optional input (ONNX convention).
 * Fused ops made by the passes use domain {@link Op#TOKENFAB_DOMAIN}.
 */
public record Node(String name, String domain, String opType, List<String> inputs, List<String> outputs,
                   Map<String, Attribute> attributes) {
    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = Map.copyOf(attributes);
        domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
    }

    public String input(int i) { return i < inputs.size() ? inputs.get(i) : ""; }

    public boolean hasInput(int i) { return !input(i).isEmpty(); }

    public String output(int i) { return i < outputs.size() ? outputs.get(i) : ""; }

    public boolean is(String type) { return opType.equals(type) && (domain.isEmpty() || domain.equals(Op.TOKENFAB_DOMAIN)); }

    public boolean isContrib(String type) { return opType.equals(type) && domain.equals(Op.MICROSOFT_DOMAIN); }

    public Optional<Attribute> attr(String key) { return Optional.ofNullable(attributes.get(key)); }

    public long intAttr(String key, long fallback) {
        return attributes.get(key) instanceof Attribute.Int(long v) ? v : fallback;
    }

    public float floatAttr(String key, float fallback) {
        return attributes.get(key) instanceof Attribute.Float(float v) ? v : fallback;
    }

    public List<Long> intsAttr(String key) {
        return attributes.get(key) instanceof Attribute.Ints(List<Long> v) ? v : List.of();
    }

    /** "OpType 'name' (domain d)", for error messages. */
    public String describe() {
        return opType + " node '" + name + "'" + (domain.isEmpty() ? "" : " (domain " + domain + ")");
    }
}
