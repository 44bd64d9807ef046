package dev.tokenfab.compiler.onnx.graph;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The importer's graph IR: an immutable snapshot of an ONNX graph (or of one after some passes).
 * Nodes are kept in topological order. Producer/consumer indexes are built once per snapshot.
 *
 * @param source       the .onnx file (for messages and for locating genai_config.json)
 * @param inputs       graph inputs that are not initializers
 * @param outputs      graph outputs
 * @param valueInfo    every typed value the model declares (inputs, outputs, value_info)
 * @param nodes        operators, topologically sorted
 * @param initializers constant tensors by name
 * @param opsets       domain ("" = ai.onnx) to opset version
 */
public record Graph(Path source, List<ValueInfo> inputs, List<ValueInfo> outputs, Map<String, ValueInfo> valueInfo,
                    List<Node> nodes, Map<String, Tensor> initializers, Map<String, Long> opsets) {

    public Graph {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        valueInfo = Collections.unmodifiableMap(new LinkedHashMap<>(valueInfo));
        nodes = List.copyOf(nodes);
        initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        opsets = Map.copyOf(opsets);
    }

    // Indexes are cheap to rebuild and keep the record itself a plain value.
    private Map<String, Node> producers() {
        Map<String, Node> m = new HashMap<>();
        for (Node n : nodes) for (String o : n.outputs()) if (!o.isEmpty()) m.put(o, n);
        return m;
    }

    /** An index over this snapshot: who produces and who consumes each value. */
    public Index index() { return new Index(this); }

    public Optional<Tensor> constant(String value) { return Optional.ofNullable(initializers.get(value)); }

    public boolean isGraphInput(String value) { return inputs.stream().anyMatch(v -> v.name().equals(value)); }

    public boolean isGraphOutput(String value) { return outputs.stream().anyMatch(v -> v.name().equals(value)); }

    public Graph withNodes(List<Node> newNodes, Map<String, Tensor> newInitializers) {
        return new Graph(source, inputs, outputs, valueInfo, newNodes, newInitializers, opsets);
    }

    /** Lookup structure over one snapshot. */
    public static final class Index {
        private final Graph graph;
        private final Map<String, Node> producer;
        private final Map<String, List<Node>> consumers = new HashMap<>();

        Index(Graph graph) {
            this.graph = graph;
            this.producer = graph.producers();
            for (Node n : graph.nodes) {
                for (String in : n.inputs()) {
                    if (!in.isEmpty()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }

        public Graph graph() { return graph; }

        public Optional<Node> producer(String value) { return Optional.ofNullable(producer.get(value)); }

        /** The producer if it is of the given (standard or tokenfab) op type. */
        public Optional<Node> producer(String value, String opType) {
            return producer(value).filter(n -> n.is(opType));
        }

        public List<Node> consumers(String value) { return consumers.getOrDefault(value, List.of()); }

        /** The only consumer, when the value has exactly one and is not a graph output. */
        public Optional<Node> soleConsumer(String value) {
            List<Node> c = consumers(value);
            return c.size() == 1 && !graph.isGraphOutput(value) ? Optional.of(c.get(0)) : Optional.empty();
        }

        public Optional<Tensor> constant(String value) { return graph.constant(value); }
    }
}
