package dev.tokenfab.host.power;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An Alveo board's power from XRT's electrical report. XRT reports board power as the sum of the
 * 12 V PCIe and 12 V AUX rails ({@code power_consumption_watts}); values are strings and may be
 * "N/A". When the total is "N/A", it is recomputed from the rails' volts × amps, and when neither
 * is available the read fails (never a silent 0). No energy counter: the monitor integrates samples.
 *
 * <p>Caveat: the card management controller refreshes these figures at about 1 Hz, so windows
 * under a second are flagged too short.
 */
public final class XrtBoardSensor implements PowerSensor {

    /** Alveo CMC sensors: read once a second, as AMD's xbtest does (no period documented; docs/SOURCES-runtime.md). */
    static final Duration UPDATE_PERIOD = Duration.ofSeconds(1);

    /** The rails whose sum XRT reports as board power (XRT sensor_tree: 12v_pex + 12v_aux). */
    static final List<String> BOARD_INPUT_RAILS = List.of("12v_pex", "12v_aux");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final XrtElectricalSource source;
    private final int deviceIndex;
    private final Provenance provenance;
    private volatile boolean closed;

    /**
     * @param deviceIndex which entry of an xbutil report's {@code devices[]}; ignored for a bare electrical object
     */
    public XrtBoardSensor(String name, XrtElectricalSource source, int deviceIndex, String machine) {
        this.name = name;
        this.source = source;
        this.deviceIndex = deviceIndex;
        this.provenance = new Provenance.Measured("XRT electrical report via " + source.description(), machine);
    }

    /** Opens the sensor if one report can be read and parsed now; otherwise unavailable with the reason. */
    public static SensorStatus discover(String name, XrtElectricalSource source, int deviceIndex, String machine) {
        XrtBoardSensor sensor = new XrtBoardSensor(name, source, deviceIndex, machine);
        try {
            sensor.read(0);
            return new SensorStatus.Available(sensor);
        } catch (PowerException e) {
            return new SensorStatus.Unavailable(name, SensorKind.BOARD_XRT, e.getMessage());
        }
    }

    @Override public String name() { return name; }
    @Override public SensorKind kind() { return SensorKind.BOARD_XRT; }
    @Override public Provenance provenance() { return provenance; }
    @Override public Duration updatePeriod() { return UPDATE_PERIOD; }
    @Override public boolean hasEnergyCounter() { return false; }

    @Override
    public Reading read(long timeNanos) throws PowerException {
        if (closed) throw new IllegalStateException("XrtBoardSensor " + name + " is closed");
        return new Reading(timeNanos, parseBoardWatts(source.electricalJson(), deviceIndex, source.description()), Double.NaN);
    }

    /** One rail of the report; NaN for a value reported as "N/A" or missing. */
    public record Rail(String id, double volts, double amps) {
        public double watts() { return volts * amps; }
    }

    /**
     * Board watts from one report.
     *
     * @throws PowerException BAD_DATA naming the source and field when nothing usable is present
     */
    static double parseBoardWatts(String json, int deviceIndex, String where) throws PowerException {
        JsonNode electrical = electricalNode(json, deviceIndex, where);
        double total = number(electrical.get("power_consumption_watts"));
        if (!Double.isNaN(total)) return total;
        double sum = 0;
        int found = 0;
        for (Rail rail : rails(electrical)) {
            if (BOARD_INPUT_RAILS.contains(rail.id()) && !Double.isNaN(rail.watts())) {
                sum += rail.watts();
                found++;
            }
        }
        if (found == 0) throw new PowerException(PowerException.ErrorCode.BAD_DATA, where
                + ": power_consumption_watts is N/A or missing and no rail of " + BOARD_INPUT_RAILS
                + " has both voltage and current (is an xclbin loaded? XRT reports N/A without one on some shells)");
        return sum;
    }

    static List<Rail> rails(JsonNode electrical) {
        List<Rail> out = new ArrayList<>();
        JsonNode rails = electrical.get("power_rails");
        if (rails == null || !rails.isArray()) return out;
        for (JsonNode r : rails) {
            JsonNode v = r.get("voltage");
            JsonNode c = r.get("current");
            out.add(new Rail(r.path("id").asText(""),
                    v == null ? Double.NaN : presentNumber(v, "volts"),
                    c == null ? Double.NaN : presentNumber(c, "amps")));
        }
        return out;
    }

    private static JsonNode electricalNode(String json, int deviceIndex, String where) throws PowerException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new PowerException(PowerException.ErrorCode.BAD_DATA, where + ": not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new PowerException(PowerException.ErrorCode.BAD_DATA, where + ": empty report");
        if (root.has("devices")) {
            JsonNode devices = root.get("devices");
            if (!devices.isArray() || deviceIndex < 0 || deviceIndex >= devices.size())
                throw new PowerException(PowerException.ErrorCode.BAD_DATA, where + ": no devices[" + deviceIndex
                        + "] (report lists " + (devices.isArray() ? devices.size() : 0) + ")");
            JsonNode e = devices.get(deviceIndex).get("electrical");
            if (e == null || !e.isObject()) throw new PowerException(PowerException.ErrorCode.BAD_DATA,
                    where + ": devices[" + deviceIndex + "] has no electrical section (run xbutil with -r electrical)");
            return e;
        }
        if (!root.has("power_consumption_watts") && !root.has("power_rails"))
            throw new PowerException(PowerException.ErrorCode.BAD_DATA,
                    where + ": neither an xbutil report (devices[]) nor an electrical object (power_rails, power_consumption_watts)");
        return root;
    }

    private static double presentNumber(JsonNode node, String field) {
        JsonNode present = node.get("is_present");
        if (present != null && present.asText().equalsIgnoreCase("false")) return Double.NaN;
        return number(node.get(field));
    }

    /** XRT writes numbers as strings; "N/A", "" or a missing field are NaN. */
    private static double number(JsonNode node) {
        if (node == null || node.isNull()) return Double.NaN;
        if (node.isNumber()) return node.asDouble();
        String s = node.asText().strip();
        if (s.isEmpty() || s.equalsIgnoreCase("N/A")) return Double.NaN;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    @Override
    public void close() { closed = true; }
}
