package dev.tokenfab.bitstreams;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ConnectivityConfigTest {

    @Test
    void rendersNkSpSlr() {
        var map = new BankMap(Platform.U280, List.of(
                new BankMap.Instance(Kernel.ADD, "tf_add_1", Map.of("a", List.of(BankMap.BankRange.of(0)),
                        "b", List.of(new BankMap.BankRange(4, 7)), "out", List.of(BankMap.BankRange.of(33))), OptionalInt.of(1)),
                new BankMap.Instance(Kernel.ADD, "tf_add_2", Map.of("a", List.of(BankMap.BankRange.of(1)),
                        "b", List.of(BankMap.BankRange.of(2)), "out", List.of(BankMap.BankRange.of(3))), OptionalInt.empty())));
        String cfg = ConnectivityConfig.render(map);
        List<String> lines = cfg.lines().filter(l -> !l.startsWith("#")).toList();
        assertEquals("[connectivity]", lines.get(0));
        assertTrue(lines.contains("nk=tf_add:2:tf_add_1.tf_add_2"), cfg);
        assertTrue(lines.contains("sp=tf_add_1.b:HBM[4:7]"), cfg);
        assertTrue(lines.contains("sp=tf_add_1.out:DDR[1]"), cfg);
        assertTrue(lines.contains("sp=tf_add_2.out:HBM[3]"), cfg);
        assertTrue(lines.contains("slr=tf_add_1:SLR1"), cfg);
        assertEquals(1, lines.stream().filter(l -> l.startsWith("slr=")).count());
    }

    @Test
    void placementGivesOneGemvUnitPerWeightBankAndPinsEveryPort() {
        var weights = new java.util.EnumMap<dev.tokenfab.format.quant.PackedFormat, java.util.SortedSet<Integer>>(dev.tokenfab.format.quant.PackedFormat.class);
        weights.put(dev.tokenfab.format.quant.PackedFormat.Q8_CHANNEL, new java.util.TreeSet<>(List.of(0, 1, 2)));
        var map = BankMap.forPlacement(Platform.U280, new BankMap.Placement(weights, new java.util.TreeSet<>(List.of(3)),
                new java.util.TreeSet<>(List.of(4, 5)), new java.util.TreeSet<>(List.of(6)), 33));
        String cfg = ConnectivityConfig.render(map);
        List<String> lines = cfg.lines().toList();
        assertTrue(lines.contains("nk=tf_gemv_q8:3:tf_gemv_q8_1.tf_gemv_q8_2.tf_gemv_q8_3"), cfg);
        assertTrue(lines.contains("sp=tf_gemv_q8_2.w:HBM[1]") && lines.contains("sp=tf_gemv_q8_2.scales:HBM[1]"), cfg);
        assertTrue(lines.contains("sp=tf_gemv_q8_2.x:DDR[1]") && lines.contains("sp=tf_gemv_q8_2.bias:HBM[3]"), cfg);
        assertTrue(lines.contains("sp=tf_attention_1.kPool:HBM[4:5]") && lines.contains("sp=tf_attention_1.pageTable:HBM[4:5]"), cfg);
        assertTrue(lines.contains("sp=tf_attention_1.vPool:HBM[6]") && lines.contains("sp=tf_attention_1.out:DDR[1]"), cfg);
        // ADD also copies F32 rows out of the vector banks: HBM[3] and the activation bank, split by memory type
        assertTrue(lines.contains("sp=tf_add_1.a:HBM[3]") && lines.contains("sp=tf_add_1.a:DDR[1]"), cfg);
        // formats without weights get no unit
        assertTrue(lines.stream().noneMatch(l -> l.contains("tf_gemv_q4") || l.contains("tf_embed_f16")), cfg);
    }

    @Test
    void rejectsBadMaps() {
        var e = assertThrows(IllegalArgumentException.class, () -> new BankMap(Platform.U55C, List.of(
                new BankMap.Instance(Kernel.ADD, "tf_add_1", Map.of("a", List.of(BankMap.BankRange.of(32)),
                        "b", List.of(BankMap.BankRange.of(0)), "out", List.of(BankMap.BankRange.of(0))), OptionalInt.empty()))));
        assertTrue(e.getMessage().contains("bank 32 outside U55C"), e.getMessage());
        var scalar = assertThrows(IllegalArgumentException.class, () -> new BankMap(Platform.U55C, List.of(
                new BankMap.Instance(Kernel.ADD, "tf_add_1", Map.of("a", List.of(BankMap.BankRange.of(0)),
                        "b", List.of(BankMap.BankRange.of(0)), "out", List.of(BankMap.BankRange.of(0)),
                        "n", List.of(BankMap.BankRange.of(0))), OptionalInt.empty()))));
        assertTrue(scalar.getMessage().contains("tf_add_1.n is a scalar"), scalar.getMessage());
        var mixed = assertThrows(IllegalArgumentException.class, () -> new BankMap.BankRange(30, 33).checkWithin(Platform.U280));
        assertTrue(mixed.getMessage().contains("mixes HBM and DDR"), mixed.getMessage());
        var missing = assertThrows(IllegalArgumentException.class, () -> new BankMap(Platform.U55C, List.of(
                new BankMap.Instance(Kernel.ADD, "tf_add_1", Map.of("a", List.of(BankMap.BankRange.of(0))), OptionalInt.empty()))));
        assertTrue(missing.getMessage().contains("tf_add_1.b has no bank"), missing.getMessage());
    }

    /** The committed per-platform cfg files are the generator's output: one source of truth. */
    @ParameterizedTest
    @EnumSource(Platform.class)
    void committedCfgMatchesGenerator(Platform p) throws Exception {
        Path cfg = Path.of("platforms", p.name().toLowerCase(java.util.Locale.ROOT), "connectivity.cfg");
        assertTrue(Files.isRegularFile(cfg), cfg + " missing: regenerate with ConnectivityConfig.main (see its Javadoc)");
        assertEquals(ConnectivityConfig.render(BankMap.emulation(p)), Files.readString(cfg),
                cfg + " is stale: regenerate with ConnectivityConfig.main (see its Javadoc)");
    }
}
