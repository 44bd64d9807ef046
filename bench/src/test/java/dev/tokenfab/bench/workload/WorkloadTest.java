package dev.tokenfab.bench.workload;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bench.BenchException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class WorkloadTest {

    @Test
    void parsesLlamaBenchFormsAndScenarios() throws Exception {
        assertEquals(new Workload("pp512", 512, 0, new Scenario.Single()), Workload.parse("pp512"));
        assertEquals(new Workload("tg128", Workload.TG_ONLY_PROMPT_TOKENS, 128, new Scenario.Single()), Workload.parse("tg128"));
        assertEquals(new Workload("pp128+tg128", 128, 128, new Scenario.Single()), Workload.parse("pp128+tg128"));
        assertEquals(new Scenario.Offline(64), Workload.parse("pp16+tg8@offline:64").scenario());
        assertEquals(new Scenario.Server(32, 2.5, 1), Workload.parse("pp16+tg8@server:32:2.5").scenario());
        assertEquals(new Scenario.Server(32, 2.5, 7), Workload.parse("pp16+tg8@server:32:2.5:7").scenario());
        assertEquals(3, Workload.parseList("pp8, tg4 ,pp4+tg4@offline:2").size());
        assertEquals(64, Workload.parse("tg1@offline:64").requests(4));
        assertEquals(4, Workload.parse("tg1").requests(4));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pp|'pp' is not pp<N> or tg<N>",
            "tg8+pp8|pp must come before tg",
            "pp8+pp8|pp given twice",
            "pp0|pp0 has no prompt",
            "pp8+tg4@batch:2|unknown scenario 'batch'",
            "pp8@server:10|server needs",
            "pp8@server:10:-1|requestsPerSecond must be > 0",
            "pp8@offline:0|requests: 0 outside",
            "pp99999999999999999999|'99999999999999999999' is not a whole number",
            "pp2000000|2000000 outside",
            "xx1|'xx1' is not pp<N> or tg<N>"})
    void badSpecsNameTheCulpritAndTheAllowedForms(String spec, String expected) {
        BenchException e = assertThrows(BenchException.class, () -> Workload.parse(spec));
        assertEquals(BenchException.ErrorCode.BAD_WORKLOAD, e.code());
        assertTrue(e.getMessage().contains("'" + spec + "'") && e.getMessage().contains(expected)
                && e.getMessage().contains("allowed forms"), e.getMessage());
    }
}
