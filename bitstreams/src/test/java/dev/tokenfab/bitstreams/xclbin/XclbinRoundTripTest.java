package dev.tokenfab.bitstreams.xclbin;

import static org.junit.jupiter.api.Assertions.*;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.bitstreams.EmulationXclbins;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class XclbinRoundTripTest {

    @ParameterizedTest
    @EnumSource(Platform.class)
    void emulationImageRoundTrips(Platform p, @TempDir Path dir) throws Exception {
        Path file = EmulationXclbins.build(p, dir);
        Xclbin x = XclbinReader.read(file);
        assertEquals(p.vitisPlatform(), x.platformVbnv());
        assertEquals(XclbinMode.HW_EMU, x.mode());
        assertEquals(p.memoryBanks(), x.memoryBanks().size());
        for (int i = 0; i < p.memoryBanks(); i++) {
            Xclbin.MemoryBank b = x.memoryBanks().get(i);
            assertEquals(BankMap.bankTag(p, i), b.tag());
            assertEquals(p.bankBytes(i), b.sizeBytes());
            assertEquals(i < p.hbmChannels() ? MemType.HBM : MemType.DDR4, b.type());
            assertTrue(b.used());
        }
        assertEquals(Kernel.values().length, x.kernels().size());
        assertEquals(Kernel.values().length, x.computeUnits().size());
        for (Kernel k : Kernel.values()) {
            Xclbin.KernelInfo ki = x.kernel(k.symbol()).orElseThrow();
            assertEquals(k.args().size(), ki.args().size(), k.symbol());
            for (int a = 0; a < k.args().size(); a++) {
                Xclbin.KernelArg arg = ki.args().get(a);
                assertEquals(a, arg.index());
                assertEquals(k.args().get(a).name(), arg.name());
                boolean pointer = k.args().get(a).kind() == Kernel.ArgKind.POINTER;
                assertEquals(pointer, arg.pointer());
                // emulation map: every pointer arg reaches every bank, scalars none
                assertEquals(pointer ? p.memoryBanks() : 0, x.banksOf(k.symbol(), a).size(), k.symbol() + "." + arg.name());
            }
        }
        assertTrue(x.buildMetadataJson().contains("\"build_metadata\""));
        // reproducible: same content → same bytes and uuid
        byte[] again = XclbinWriter.toBytes(BankMap.emulation(p), XclbinMode.HW_EMU);
        assertArrayEquals(Files.readAllBytes(file), again);
    }

    @Test
    void planSpecificConnectivityRoundTrips() throws Exception {
        Platform p = Platform.U280;
        var map = new BankMap(p, List.of(
                new BankMap.Instance(Kernel.ADD, "tf_add_1", Map.of(
                        "a", List.of(BankMap.BankRange.of(0)), "b", List.of(new BankMap.BankRange(4, 7)),
                        "out", List.of(BankMap.BankRange.of(33))), OptionalInt.of(0)),
                new BankMap.Instance(Kernel.ADD, "tf_add_2", Map.of(
                        "a", List.of(BankMap.BankRange.of(1)), "b", List.of(BankMap.BankRange.of(2)),
                        "out", List.of(BankMap.BankRange.of(3))), OptionalInt.empty())));
        Xclbin x = XclbinReader.read(XclbinWriter.toBytes(map, XclbinMode.FLAT), "memory");
        assertEquals(List.of("tf_add:tf_add_1", "tf_add:tf_add_2"), x.computeUnits().stream().map(Xclbin.ComputeUnit::name).toList());
        assertEquals("DDR[1]", x.memoryBanks().get(33).tag());
        // per-CU connectivity, read back from the CONNECTIVITY section
        var cu0 = x.connections().stream().filter(c -> c.computeUnit() == 0 && c.argIndex() == 1).map(Xclbin.Connection::memIndex).toList();
        assertEquals(List.of(4, 5, 6, 7), cu0);
        assertEquals(List.of(0, 1), x.banksOf("tf_add", 0));
        assertEquals(List.of(3, 33), x.banksOf("tf_add", 2));
        assertNotEquals(x.uuid(), XclbinReader.read(XclbinWriter.toBytes(BankMap.emulation(p), XclbinMode.FLAT), "m").uuid());
    }

    @Test
    void rejectsBadMagic() throws Exception {
        byte[] b = XclbinWriter.toBytes(BankMap.emulation(Platform.U55C), XclbinMode.HW_EMU);
        b[6] = '0';
        var e = assertThrows(XclbinFormatException.class, () -> XclbinReader.read(b, "bad.xclbin"));
        assertTrue(e.getMessage().contains("bad.xclbin") && e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void rejectsTruncatedFile() throws Exception {
        byte[] b = XclbinWriter.toBytes(BankMap.emulation(Platform.U55C), XclbinMode.HW_EMU);
        byte[] cut = java.util.Arrays.copyOf(b, b.length / 2);
        var e = assertThrows(XclbinFormatException.class, () -> XclbinReader.read(cut, "cut.xclbin"));
        assertTrue(e.getMessage().contains("header length"), e.getMessage());
        var tiny = assertThrows(XclbinFormatException.class, () -> XclbinReader.read(new byte[10], "tiny"));
        assertTrue(tiny.getMessage().contains("too short"), tiny.getMessage());
    }

    @Test
    void rejectsSectionOutsideImage() throws Exception {
        byte[] b = XclbinWriter.toBytes(BankMap.emulation(Platform.U55C), XclbinMode.HW_EMU);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(Axlf.OFF_SECTIONS + 32, 1L << 40);  // first section size
        var e = assertThrows(XclbinFormatException.class, () -> XclbinReader.read(b, "big.xclbin"));
        assertTrue(e.getMessage().contains("section 0") && e.getMessage().contains("mem_topology"), e.getMessage());
    }

    @Test
    void rejectsConnectionToMissingBank() throws Exception {
        byte[] b = XclbinWriter.toBytes(BankMap.emulation(Platform.U250), XclbinMode.HW_EMU);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int connHeader = Axlf.OFF_SECTIONS + 2 * Axlf.SECTION_HEADER_BYTES;
        assertEquals(Axlf.CONNECTIVITY, bb.getInt(connHeader));
        int connOffset = (int) bb.getLong(connHeader + 24);
        bb.putInt(connOffset + 4 + 8, 9);   // first connection → memory 9; U250 has 4 banks
        var e = assertThrows(XclbinFormatException.class, () -> XclbinReader.read(b, "conn.xclbin"));
        assertTrue(e.getMessage().contains("memory 9") && e.getMessage().contains("topology has 4"), e.getMessage());
    }

    @Test
    void rejectsMalformedXml() throws Exception {
        byte[] b = XclbinWriter.toBytes(BankMap.emulation(Platform.U55C), XclbinMode.HW_EMU);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int xmlHeader = Axlf.OFF_SECTIONS + 3 * Axlf.SECTION_HEADER_BYTES;
        assertEquals(Axlf.EMBEDDED_METADATA, bb.getInt(xmlHeader));
        b[(int) bb.getLong(xmlHeader + 24) + 1] = 'X';   // "<?xml" → "<Xxml"
        var e = assertThrows(XclbinFormatException.class, () -> XclbinReader.read(b, "xml.xclbin"));
        assertTrue(e.getMessage().contains("EMBEDDED_METADATA"), e.getMessage());
    }
}
