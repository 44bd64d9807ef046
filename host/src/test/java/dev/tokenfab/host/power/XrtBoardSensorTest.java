package dev.tokenfab.host.power;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** XRT electrical reports from fixture files: totals, "N/A" totals recomputed from rails, and unusable reports. */
class XrtBoardSensorTest {

    @Test
    void readsBoardTotalFromElectricalObject() throws Exception {
        XrtElectricalSource src = XrtElectricalSource.ofFile(Fixtures.resource("xrt/u280-electrical.json"));
        SensorStatus.Available a = assertInstanceOf(SensorStatus.Available.class, XrtBoardSensor.discover("xrt:0", src, 0, "h"));
        assertEquals(37.512, a.sensor().read(0).watts(), 1e-12);
        assertTrue(a.sensor().provenance().label().contains("u280-electrical.json"));
    }

    @Test
    void naTotalIsRecomputedFrom12VRailsOfAnXbutilReport() throws Exception {
        XrtElectricalSource src = XrtElectricalSource.ofFile(Fixtures.resource("xrt/xbutil-report-total-na.json"));
        XrtBoardSensor s = new XrtBoardSensor("xrt:0", src, 0, "h");
        // 12v_pex 12.1 V × 2.0 A + 12v_aux 12.2 V × 1.0 A; 3v3_pex is N/A and not a board input rail anyway
        assertEquals(12.1 * 2.0 + 12.2 * 1.0, s.read(0).watts(), 1e-12);
        PowerException e = assertThrows(PowerException.class, () -> XrtBoardSensor.parseBoardWatts(src.electricalJson(), 3, "r.json"));
        assertTrue(e.getMessage().contains("no devices[3]") && e.getMessage().contains("lists 1"), e.getMessage());
    }

    @Test
    void allNaIsUnavailableNeverZero() {
        SensorStatus.Unavailable u = assertInstanceOf(SensorStatus.Unavailable.class,
                XrtBoardSensor.discover("xrt:0", XrtElectricalSource.ofFile(Fixtures.resource("xrt/all-na.json")), 0, "h"));
        assertTrue(u.reason().contains("power_consumption_watts is N/A") && u.reason().contains("all-na.json"), u.reason());
    }

    @Test
    void truncatedJsonIsBadData() {
        XrtElectricalSource src = XrtElectricalSource.ofFile(Fixtures.resource("xrt/truncated.json"));
        PowerException e = assertThrows(PowerException.class, () -> new XrtBoardSensor("x", src, 0, "h").read(0));
        assertEquals(PowerException.ErrorCode.BAD_DATA, e.code());
        assertTrue(e.getMessage().contains("truncated.json") && e.getMessage().contains("not JSON"), e.getMessage());
    }

    @Test
    void xbutilThatWritesNothingIsUnavailableLikeDebiansWrapper() {
        // /bin/true exits 0 and writes nothing: exactly how Debian's broken xbutil behaves (docs/EMULATION.md)
        Path fakeXbutil = Path.of("/bin/true");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(fakeXbutil), "no /bin/true");
        PowerException e = assertThrows(PowerException.class,
                () -> XrtElectricalSource.xbutil(fakeXbutil, "0000:3b:00.1").electricalJson());
        assertEquals(PowerException.ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("wrote no report") && e.getMessage().contains("AMD's XRT"), e.getMessage());
        PowerException missing = assertThrows(PowerException.class,
                () -> XrtElectricalSource.xbutil(Path.of("/nonexistent/xbutil"), "0").electricalJson());
        assertTrue(missing.getMessage().contains("/nonexistent/xbutil is not an executable"), missing.getMessage());
    }
}
