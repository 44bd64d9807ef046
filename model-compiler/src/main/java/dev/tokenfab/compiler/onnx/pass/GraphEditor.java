package dev.tokenfab.compiler.onnx.pass;

import dev.tokenfab.compiler.onnx.graph.Attribute;
import dev.tokenfab.compiler.onnx.graph.Graph;
import dev.tokenfab.compiler.onnx.graph.Node;
import dev.tokenfab.compiler.onnx.graph.Op;
import dev.tokenfab.compiler.onnx.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The mutable scratchpad a pass uses to build its output snapshot: remove matched nodes, add fused
 * ones, add initializers. {@link #build()} restores topological order and drops nodes whose outputs
 * nobody uses any more, so a pass only has to say what it replaced.
 */
final class GraphEditor {
    private final Graph graph;
    private final Set<Node> removed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Node> added = new ArrayList<>();
    private final Map<String, Tensor> initializers;
    private int counter;

    GraphEditor(Graph graph) {
        this.graph = graph;
        this.initializers = new LinkedHashMap<>(graph.initializers());
    }

    void remove(Node n) { removed.add(n); }

    void removeAll(Iterable<Node> nodes) { for (Node n : nodes) removed.add(n); }

    boolean isRemoved(Node n) { return removed.contains(n); }

    void add(Node n) { added.add(n); }

    void addInitializer(Tensor t) { initializers.put(t.name(), t); }

    /** A value name not used in the graph, derived from {@code base}. */
    String fresh(String base) { return base + "/tf_" + (counter++); }

    static Node tf(String name, String opType, List<String> inputs, List<String> outputs, Map<String, Attribute> attrs) {
        return new Node(name, Op.TOKENFAB_DOMAIN, opType, inputs, outputs, attrs);
    }

    Graph build() {
        List<Node> nodes = new ArrayList<>();
        for (Node n : graph.nodes()) if (!removed.contains(n)) nodes.add(n);
        nodes.addAll(added);
        nodes = removeDead(nodes);
        return graph.withNodes(topoSort(nodes), initializers);
    }

    /** Drops nodes none of whose outputs is consumed or is a graph output, until none is left. */
    private List<Node> removeDead(List<Node> nodes) {
        Set<String> graphOutputs = new HashSet<>();
        graph.outputs().forEach(v -> graphOutputs.add(v.name()));
        boolean changed = true;
        while (changed) {
            changed = false;
            Set<String> used = new HashSet<>(graphOutputs);
            for (Node n : nodes) used.addAll(n.inputs());
            List<Node> keep = new ArrayList<>(nodes.size());
            for (Node n : nodes) {
                if (n.outputs().stream().anyMatch(o -> !o.isEmpty() && used.contains(o))) keep.add(n);
                else changed = true;
            }
            nodes = keep;
        }
        Set<String> used = new HashSet<>(graphOutputs);
        for (Node n : nodes) used.addAll(n.inputs());
        initializers.keySet().removeIf(k -> !used.contains(k));
        return nodes;
    }

    /** Kahn's algorithm, stable with respect to the given order. */
    private static List<Node> topoSort(List<Node> nodes) {
        Map<String, Node> producer = new HashMap<>();
        for (Node n : nodes) for (String o : n.outputs()) if (!o.isEmpty()) producer.put(o, n);
        Map<Node, Integer> pending = new IdentityHashMap<>();
        Map<Node, List<Node>> users = new IdentityHashMap<>();
        for (Node n : nodes) {
            Set<Node> deps = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (String in : n.inputs()) {
                Node p = producer.get(in);
                if (p != null && p != n) deps.add(p);
            }
            pending.put(n, deps.size());
            for (Node d : deps) users.computeIfAbsent(d, k -> new ArrayList<>()).add(n);
        }
        Map<Node, Integer> position = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) position.put(nodes.get(i), i);
        java.util.PriorityQueue<Node> ready = new java.util.PriorityQueue<>(java.util.Comparator.comparingInt(position::get));
        for (Node n : nodes) if (pending.get(n) == 0) ready.add(n);
        List<Node> out = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            out.add(n);
            for (Node u : users.getOrDefault(n, List.of())) {
                if (pending.merge(u, -1, Integer::sum) == 0) ready.add(u);
            }
        }
        if (out.size() != nodes.size()) throw new IllegalStateException("graph has a cycle after rewriting");
        return out;
    }
}
