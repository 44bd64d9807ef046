package dev.tokenfab.host.power;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where {@link XrtBoardSensor} gets XRT's electrical report (JSON) from. Two forms are accepted
 * by the sensor: the bare {@code xrt::info::device::electrical} object
 * ({@code {"power_rails":[...], "power_consumption_watts":"..."}}) and the {@code xbutil examine
 * -r electrical --format JSON} report that wraps it in {@code devices[i].electrical}.
 *
 * <p>Production sources: {@link #xbutil} (AMD's XRT packages), or a caller that queries
 * {@code xrtDeviceGetInfo}/{@code xrt::device::get_info<electrical>} itself and hands over the
 * string. Debian's {@code xbutil} is a broken wrapper that prints nothing and still exits 0
 * (its wrapper calls an unwrapped binary the package lacks: docs/EMULATION.md); {@link #xbutil} therefore checks that a report was actually written.
 */
public interface XrtElectricalSource {

    /** e.g. "file fixtures/u280.json", "xbutil -d 0000:3b:00.1". */
    String description();

    /** @throws PowerException UNAVAILABLE or READ_FAILED with the reason */
    String electricalJson() throws PowerException;

    /** A JSON file re-read on every call (tests, or a file another process keeps fresh). */
    static XrtElectricalSource ofFile(Path file) {
        return new XrtElectricalSource() {
            public String description() { return "file " + file; }
            public String electricalJson() throws PowerException { return SysfsFiles.readString(file); }
        };
    }

    /**
     * Runs {@code xbutil examine -d <bdf> -r electrical --format JSON -o <tmp> --force} per read.
     * A process per sample is slow (~0.1-1 s), which is acceptable for a sensor that refreshes at 1 Hz.
     *
     * @param xbutil path of the xbutil executable (AMD's, e.g. /opt/xilinx/xrt/bin/xbutil)
     * @param bdf    the card's PCIe address as xbutil lists it
     */
    static XrtElectricalSource xbutil(Path xbutil, String bdf) {
        Duration timeout = Duration.ofSeconds(10);
        return new XrtElectricalSource() {
            public String description() { return "xbutil " + xbutil + " -d " + bdf; }

            public String electricalJson() throws PowerException {
                if (!Files.isExecutable(xbutil)) throw new PowerException(PowerException.ErrorCode.UNAVAILABLE,
                        xbutil + " is not an executable; install AMD's XRT package (Debian's xbutil is a broken wrapper)");
                Path tmp = null;
                try {
                    tmp = Files.createTempFile("tokenfab-xbutil-", ".json");
                    Files.delete(tmp); // xbutil refuses to overwrite without --force; let it create the file
                    Process p = new ProcessBuilder(List.of(xbutil.toString(), "examine", "-d", bdf, "-r", "electrical",
                            "--format", "JSON", "-o", tmp.toString(), "--force"))
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        p.destroyForcibly();
                        throw new PowerException(PowerException.ErrorCode.READ_FAILED, description() + ": no answer in " + timeout);
                    }
                    if (p.exitValue() != 0 || !Files.exists(tmp) || Files.size(tmp) == 0)
                        throw new PowerException(PowerException.ErrorCode.UNAVAILABLE, description()
                                + ": wrote no report (exit " + p.exitValue() + "); Debian's xbutil is a broken wrapper: "
                                + "install AMD's XRT package or pass the electrical JSON from xrt::device::get_info");
                    return Files.readString(tmp);
                } catch (IOException e) {
                    throw new PowerException(PowerException.ErrorCode.READ_FAILED, description() + ": " + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new PowerException(PowerException.ErrorCode.READ_FAILED, description() + ": interrupted", e);
                } finally {
                    if (tmp != null) try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* temp file */ }
                }
            }
        };
    }
}
