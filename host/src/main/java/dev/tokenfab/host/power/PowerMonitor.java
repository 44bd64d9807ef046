package dev.tokenfab.host.power;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures the time and energy of named windows of code across several power sensors, in the
 * manner of Zeus's {@code ZeusMonitor}.
 *
 * <pre>{@code
 * try (PowerMonitor monitor = PowerMonitor.start(sensors, Duration.ofMillis(100), TimeSource.system())) {
 *     monitor.measureIdle(Duration.ofSeconds(2));
 *     monitor.begin("decode");
 *     generate();
 *     EnergyWindow w = monitor.end("decode");   // w.seconds(), w.measuredJoules(), w.sensor("rapl:package-0")
 * }
 * }</pre>
 *
 * <p>How it measures: a sensor with an energy counter (NVML on Volta+, RAPL) is read at both ends
 * of a window and the difference is the energy; a sensor without one (hwmon, XRT, modeled) is
 * sampled by a background thread every {@code samplePeriod} and the samples, plus one taken at each
 * end of the window, are integrated with trapezoids. Counter sensors are sampled too, which keeps
 * RAPL wrap-arounds visible and gives live watts.
 *
 * <p>Caveats:
 * <ul>
 *   <li>A window shorter than a sensor's {@link PowerSensor#updatePeriod} cannot be resolved by it;
 *       its figure is flagged {@link SensorEnergy.Status#TOO_SHORT}, never reported as a silent 0.
 *       If a counter did not move, the figure is approximated as end power × seconds and says so.</li>
 *   <li>A sensor whose read fails becomes unavailable for the rest of the monitor's life (its figures
 *       say why); the other sensors go on.</li>
 *   <li>Measured and modeled figures are kept apart ({@link EnergyWindow#measuredJoules} vs
 *       {@link EnergyWindow#modeledJoules}).</li>
 *   <li>Samples are kept from the oldest open window on; a window left open for hours at a high
 *       sample rate holds every sample in memory.</li>
 * </ul>
 * Thread-safe: windows may be opened and closed from any thread. The monitor owns its sensors and
 * closes them in {@link #close}.
 */
public final class PowerMonitor implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PowerMonitor.class.getName());
    private static final double NANOS_PER_SECOND = 1e9;

    private final List<Track> tracks;
    private final Duration samplePeriod;
    private final TimeSource time;
    private final Thread sampler;
    private final Map<String, Long> openWindows = new LinkedHashMap<>(); // name -> start time ns
    private final Map<String, Double> idleWatts = new HashMap<>();
    private volatile boolean running = true;
    private boolean closed;
    private long samplesTaken;

    /** Per-sensor samples and state; guarded by the monitor's lock. */
    private static final class Track {
        final PowerSensor sensor;
        final ArrayList<Reading> samples = new ArrayList<>();
        String unavailableReason;

        Track(PowerSensor sensor) { this.sensor = sensor; }
    }

    private PowerMonitor(List<PowerSensor> sensors, Duration samplePeriod, TimeSource time, boolean startThread) {
        if (samplePeriod.isNegative() || samplePeriod.isZero())
            throw new IllegalArgumentException("samplePeriod must be positive, got " + samplePeriod);
        List<Track> t = new ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (PowerSensor s : sensors) {
            if (!names.add(s.name())) throw new IllegalArgumentException("two sensors named '" + s.name() + "'");
            t.add(new Track(s));
        }
        this.tracks = List.copyOf(t);
        this.samplePeriod = samplePeriod;
        this.time = time;
        sampleNow();
        if (startThread) {
            sampler = Thread.ofPlatform().daemon().name("tokenfab-power-sampler").unstarted(this::samplerLoop);
            sampler.start();
        } else {
            sampler = null;
        }
    }

    /** A monitor with a background sampler thread reading every sensor each {@code samplePeriod}. */
    public static PowerMonitor start(List<PowerSensor> sensors, Duration samplePeriod, TimeSource time) {
        return new PowerMonitor(sensors, samplePeriod, time, true);
    }

    /**
     * A monitor without a thread: samples are taken at begin/end, by {@link #sampleNow} and inside
     * {@link #measureIdle}. For tests that script time, and for callers that sample in their own loop.
     */
    public static PowerMonitor manual(List<PowerSensor> sensors, Duration samplePeriod, TimeSource time) {
        return new PowerMonitor(sensors, samplePeriod, time, false);
    }

    public List<PowerSensor> sensors() { return tracks.stream().map(t -> t.sensor).toList(); }

    public Duration samplePeriod() { return samplePeriod; }

    public synchronized long samplesTaken() { return samplesTaken; }

    /** Reads every available sensor once and keeps the readings needed by open windows. */
    public synchronized void sampleNow() {
        ensureOpen();
        long now = time.nanoTime();
        for (Track t : tracks) {
            if (t.unavailableReason != null) continue;
            try {
                t.samples.add(t.sensor.read(now));
            } catch (PowerException | RuntimeException e) {
                t.unavailableReason = "read failed at runtime: " + e.getMessage();
                LOG.log(System.Logger.Level.WARNING, "power sensor " + t.sensor.name() + " is now unavailable: " + e.getMessage());
            }
        }
        samplesTaken++;
        prune();
    }

    /** Latest reading per available sensor (for live displays). */
    public synchronized Map<String, Reading> latest() {
        Map<String, Reading> out = new LinkedHashMap<>();
        for (Track t : tracks) if (t.unavailableReason == null && !t.samples.isEmpty()) out.put(t.sensor.name(), t.samples.getLast());
        return out;
    }

    /**
     * Opens a window.
     *
     * @throws PowerException BAD_WINDOW when a window of that name is already open
     */
    public synchronized void begin(String windowName) throws PowerException {
        ensureOpen();
        if (openWindows.containsKey(windowName)) throw new PowerException(PowerException.ErrorCode.BAD_WINDOW,
                "window '" + windowName + "' is already open; end it first or pick another name");
        sampleNow();
        openWindows.put(windowName, tracks.isEmpty() || tracks.getFirst().samples.isEmpty()
                ? time.nanoTime() : lastSampleTime());
    }

    /**
     * Closes a window and computes its figures.
     *
     * @throws PowerException BAD_WINDOW when no window of that name is open
     */
    public synchronized EnergyWindow end(String windowName) throws PowerException {
        ensureOpen();
        Long start = openWindows.get(windowName);
        if (start == null) throw new PowerException(PowerException.ErrorCode.BAD_WINDOW,
                "no open window '" + windowName + "'; open windows: " + openWindows.keySet());
        sampleNow(); // while the window is still open, so pruning keeps its samples
        openWindows.remove(windowName);
        long end = lastSampleTime();
        double seconds = (end - start) / NANOS_PER_SECOND;
        Map<String, SensorEnergy> by = new LinkedHashMap<>();
        for (Track t : tracks) by.put(t.sensor.name(), figure(t, start, end, seconds));
        prune();
        return new EnergyWindow(windowName, seconds, by);
    }

    /** Drops an open window without computing anything (Zeus's cancel). */
    public synchronized void cancel(String windowName) throws PowerException {
        if (openWindows.remove(windowName) == null) throw new PowerException(PowerException.ErrorCode.BAD_WINDOW,
                "no open window '" + windowName + "' to cancel; open windows: " + openWindows.keySet());
        prune();
    }

    /** Idle power per sensor and the window it came from. */
    public record Idle(Map<String, Double> wattsBySensor, EnergyWindow window) {}

    /**
     * Measures idle power over {@code duration} (the caller keeps the system idle) and remembers it:
     * later windows report {@link SensorEnergy#aboveIdleJoules}.
     */
    public Idle measureIdle(Duration duration) throws PowerException, InterruptedException {
        String name = "idle@" + time.nanoTime();
        begin(name);
        long deadline = time.nanoTime() + duration.toNanos();
        long now;
        while ((now = time.nanoTime()) < deadline) {
            long left = deadline - now;
            time.sleep(Duration.ofNanos(Math.min(left, samplePeriod.toNanos())));
            if (sampler == null) sampleNow();
        }
        EnergyWindow w = end(name);
        Map<String, Double> watts = new LinkedHashMap<>();
        synchronized (this) {
            for (SensorEnergy e : w.bySensor().values()) {
                if (!e.available()) continue;
                watts.put(e.sensor(), e.averageWatts());
                idleWatts.put(e.sensor(), e.averageWatts());
            }
        }
        return new Idle(watts, w);
    }

    /** Idle watts remembered from {@link #measureIdle}, by sensor. */
    public synchronized Map<String, Double> idleWatts() { return Map.copyOf(idleWatts); }

    private SensorEnergy figure(Track t, long start, long end, double seconds) {
        PowerSensor s = t.sensor;
        if (t.unavailableReason != null) return SensorEnergy.unavailable(s, t.unavailableReason);
        List<Reading> in = new ArrayList<>();
        for (Reading r : t.samples) if (r.timeNanos() >= start && r.timeNanos() <= end) in.add(r);
        if (in.size() < 2) return SensorEnergy.unavailable(s, "fewer than 2 readings inside the window");
        boolean shorterThanUpdate = seconds < s.updatePeriod().toNanos() / NANOS_PER_SECOND;
        SensorEnergy.Method method;
        double joules;
        String note = "";
        if (s.hasEnergyCounter() && in.getFirst().hasEnergy() && in.getLast().hasEnergy()) {
            joules = in.getLast().energyJoules() - in.getFirst().energyJoules();
            method = SensorEnergy.Method.ENERGY_COUNTER;
            if (joules == 0 && seconds > 0) {
                shorterThanUpdate = true;
                note = "energy counter did not change over " + seconds + " s";
                if (in.getLast().hasPower()) {
                    joules = in.getLast().watts() * seconds;
                    method = SensorEnergy.Method.INSTANT_POWER_APPROXIMATION;
                    note += "; approximated as end power x seconds";
                }
            }
        } else {
            joules = 0;
            int used = 0;
            Reading prev = null;
            for (Reading r : in) {
                if (!r.hasPower()) continue;
                if (prev != null) joules += 0.5 * (prev.watts() + r.watts()) * (r.timeNanos() - prev.timeNanos()) / NANOS_PER_SECOND;
                prev = r;
                used++;
            }
            if (used < 2) return SensorEnergy.unavailable(s, "fewer than 2 power readings inside the window");
            method = SensorEnergy.Method.TRAPEZOID_SAMPLES;
        }
        if (shorterThanUpdate && note.isEmpty())
            note = "window of " + seconds + " s is shorter than the sensor's update period " + s.updatePeriod();
        double avg = seconds > 0 ? joules / seconds : Double.NaN;
        Double idle = idleWatts.get(s.name());
        double idleW = idle == null ? Double.NaN : idle;
        return new SensorEnergy(s.name(), s.kind(), s.provenance(),
                shorterThanUpdate ? SensorEnergy.Status.TOO_SHORT : SensorEnergy.Status.OK, method,
                joules, avg, idleW, joules - idleW * seconds, in.size(), note);
    }

    private long lastSampleTime() {
        long latest = Long.MIN_VALUE;
        for (Track t : tracks) if (!t.samples.isEmpty()) latest = Math.max(latest, t.samples.getLast().timeNanos());
        return latest == Long.MIN_VALUE ? time.nanoTime() : latest;
    }

    /** Keeps samples from the oldest open window's start on, and always the latest one. */
    private void prune() {
        long keepFrom = openWindows.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
        for (Track t : tracks) {
            int n = t.samples.size();
            int drop = 0;
            while (drop < n - 1 && t.samples.get(drop).timeNanos() < keepFrom) drop++;
            if (drop > 0) t.samples.subList(0, drop).clear();
        }
    }

    private void samplerLoop() {
        while (running) {
            try {
                time.sleep(samplePeriod);
                synchronized (this) {
                    if (!running || closed) return;
                    sampleNow();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("PowerMonitor is closed");
    }

    /** Stops the sampler and closes every sensor. */
    @Override
    public void close() {
        running = false;
        if (sampler != null) {
            sampler.interrupt();
            try {
                sampler.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (closed) return;
            closed = true;
            for (Track t : tracks.reversed()) t.sensor.close();
        }
    }
}
