package dev.tokenfab.compiler.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenfab.compiler.build.BuildModel.QuantizedIr;
import dev.tokenfab.compiler.quant.QuantReport;
import dev.tokenfab.format.FormatException.ErrorCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeStepTest {

    @TempDir Path dir;

    @Test
    void packsEveryTensorAndVerifiesSqnrAgainstTheDenseWeights() throws Exception {
        try (BuildContext ctx = Toy.context(dir.resolve("o"))) {
            StepResult<QuantizedIr> r = new QuantizeStep().apply(Toy.ir(9), ctx);
            assertEquals(Toy.ir(9).model().weights().keySet(), r.model().quantized().tensors().keySet());
            assertEquals(Verification.Status.SUCCESS, r.verification().status(), r.verification().toString());
            assertTrue(((String) r.extraReports().get("quantize.txt")).contains("SQNR dB"));
        }
    }

    @Test
    void sqnrBelowTheFloorOrNotANumberFailsNamingTheTensor() throws Exception {
        QuantReport good;
        try (BuildContext ctx = Toy.context(dir.resolve("o"))) {
            good = Toy.quantized(ctx, 10).quantized().report();
        }
        for (double bad : new double[] {QuantizeStep.MIN_SQNR_DB - 0.5, Double.NaN, Double.NEGATIVE_INFINITY}) {
            List<QuantReport.TensorReport> ts = new ArrayList<>(good.tensors());
            QuantReport.TensorReport t = ts.get(2);
            ts.set(2, new QuantReport.TensorReport(t.name(), t.format(), t.rows(), t.cols(), t.groupSize(), t.zeroPoints(), t.method(),
                    bad, t.packedBytes(), t.note()));
            Verification v = QuantizeStep.verify(new QuantReport(ts, good.sourceBytes(), good.packedBytes(), good.parameters(), bad, good.threads()));
            assertEquals(Verification.Status.FAIL, v.status());
            assertEquals(ErrorCode.BAD_TENSOR, v.failCode());
            assertTrue(v.detail().contains(t.name()), v.detail());
        }
    }
}
