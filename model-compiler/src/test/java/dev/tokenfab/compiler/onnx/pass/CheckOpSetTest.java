package dev.tokenfab.compiler.onnx.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.error.CompileException;
import dev.tokenfab.compiler.onnx.graph.DataType;
import dev.tokenfab.compiler.onnx.graph.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckOpSetTest {

    @Test
    void knownOpsPass() throws Exception {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, 4L);
        String y = t.op("Softmax", List.of(t.op("Tanh", List.of("x"))));
        var g = t.output(y).build();
        assertEquals(g, new CheckOpSet().apply(g));
    }

    @Test
    void unknownContribOpListsTheSupportedOnes() {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, 4L);
        t.opTo("QOrderedMatMul", Op.MICROSOFT_DOMAIN, List.of("x"), List.of("y"));
        CompileException e = assertThrows(CompileException.class, () -> new CheckOpSet().apply(t.output("y").build()));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_OP, e.code());
        assertTrue(e.getMessage().contains("QOrderedMatMul") && e.getMessage().contains("com.microsoft")
                && e.getMessage().contains("MatMulNBits") && e.getMessage().contains("QOrderedMatMul_0"), e.getMessage());
    }

    @Test
    void fusedTokenfabOpsAreNotAcceptedFromFiles() {
        ToyGraph t = new ToyGraph().input("x", DataType.FLOAT, 4L);
        t.opTo("RmsNorm", Op.TOKENFAB_DOMAIN, List.of("x"), List.of("y"));
        CompileException e = assertThrows(CompileException.class, () -> new CheckOpSet().apply(t.output("y").build()));
        assertEquals(CompileException.ErrorCode.UNSUPPORTED_OP, e.code());
    }
}
