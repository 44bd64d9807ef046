package dev.tokenfab.host.runtime;

import dev.tokenfab.host.device.Device;
import dev.tokenfab.host.device.DeviceException;
import dev.tokenfab.host.device.LaunchProgram;
import dev.tokenfab.host.device.LaunchRecorder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Launch recording and replay of the decode step's body (layers, final norm, classifier): on a
 * device with a {@link LaunchRecorder}, the body of each sequence list is recorded (and run) on its
 * first step and replayed by one call afterwards, with each position-dependent int argument (RoPE
 * and KV-write position, attention length) patched. Every other argument is fixed for the list:
 * buffers, shapes, and the sequences' page tables (their contents change, not their address), so
 * a replay gives the direct launches' results bit for bit. Without a recorder, or with streamed
 * weights (the device slots change per layer), or in {@link Decoder.LaunchMode#DIRECT}, the body
 * runs by direct launches. Not thread-safe.
 */
final class StepPrograms implements AutoCloseable {

    /** The step body, run directly or while recording. */
    @FunctionalInterface
    interface Body {
        void run(List<KvCache.Sequence> seqs, int[] positions, int batch) throws DeviceException;
    }

    /** Most recent recorded steps by sequence list; the eldest is closed beyond this (sequences come and go). */
    private static final int MAX_PROGRAMS = 16;

    /** A recorded step and its patches: triples (program slot, batch row b, delta): slot := positions[b] + delta. */
    private record RecordedStep(LaunchProgram program, int[] patches) {}

    private final Device device;
    private final StepTimer timer;
    private final boolean weightsStreamed;
    /** the device's recorder, or null: direct launches only */
    private LaunchRecorder recorder;
    private Decoder.LaunchMode mode;
    private long replays;
    /** Slots of the step being recorded that take a position, or null when not recording. */
    private IntList patchSlots;

    private final LinkedHashMap<List<KvCache.Sequence>, RecordedStep> programs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<KvCache.Sequence>, RecordedStep> eldest) {
            if (size() <= MAX_PROGRAMS) return false;
            eldest.getValue().program().close();
            return true;
        }
    };

    /** PROGRAM by default where the device records: the emulated card's host path without a downcall per kernel. */
    StepPrograms(Device device, StepTimer timer, boolean weightsStreamed) {
        this.device = device;
        this.timer = timer;
        this.weightsStreamed = weightsStreamed;
        try {
            this.recorder = device.launchRecorder().orElse(null);
        } catch (DeviceException e) {
            this.recorder = null; // a failed probe means no programs: direct launches give the same results
        }
        this.mode = recorder != null ? Decoder.LaunchMode.PROGRAM : Decoder.LaunchMode.DIRECT;
    }

    Decoder.LaunchMode mode() { return mode; }

    /** Sets the launch mode and drops the recorded programs; PROGRAM needs a device with a {@link LaunchRecorder}. */
    void mode(Decoder.LaunchMode m) throws DeviceException {
        Objects.requireNonNull(m, "mode");
        if (m == Decoder.LaunchMode.PROGRAM) {
            recorder = device.launchRecorder().orElseThrow(() -> new DeviceException(DeviceException.ErrorCode.UNAVAILABLE,
                    "launch mode PROGRAM needs a device with launch programs (the emulated card with tf_exec_program), not " + device));
        }
        close();
        mode = m;
    }

    /** Steps run by replaying a recorded program since this decoder was loaded. */
    long replays() { return replays; }

    /** Runs {@code body} for these sequences: directly, by recording it, or by replaying its recording. */
    void run(List<KvCache.Sequence> seqs, int[] positions, int batch, Body body) throws DeviceException {
        if (mode != Decoder.LaunchMode.PROGRAM || weightsStreamed) {
            body.run(seqs, positions, batch);
            return;
        }
        List<KvCache.Sequence> key = List.copyOf(seqs); // Sequence has identity equality
        RecordedStep rec = programs.get(key);
        if (rec == null) {
            record(key, seqs, positions, batch, body);
            return;
        }
        replays++;
        int[] patches = rec.patches();
        for (int i = 0; i < patches.length; i += 3) rec.program().setInt(patches[i], positions[patches[i + 1]] + patches[i + 2]);
        if (!timer.on()) {
            recorder.replay(rec.program());
            return;
        }
        long t0 = System.nanoTime();
        try {
            recorder.replay(rec.program());
        } finally {
            timer.add(t0, rec.program().commands());
        }
    }

    private void record(List<KvCache.Sequence> key, List<KvCache.Sequence> seqs, int[] positions, int batch, Body body) throws DeviceException {
        recorder.beginRecording();
        patchSlots = new IntList();
        try {
            body.run(seqs, positions, batch);
        } catch (DeviceException | RuntimeException e) {
            recorder.abortRecording();
            throw e;
        } finally {
            IntList slots = patchSlots;
            patchSlots = null;
            if (recorder.isRecording()) {
                recorder.finishRecording().ifPresent(p -> programs.put(key, new RecordedStep(p, slots.toArray())));
            }
        }
    }

    /** While recording: the int argument {@code argIndex} of the launch just made is positions[b] + delta. */
    void positional(int argIndex, int b, int delta) {
        if (patchSlots == null) return;
        patchSlots.add(recorder.recordedArgSlot(argIndex));
        patchSlots.add(b);
        patchSlots.add(delta);
    }

    /** Closes every recorded program. */
    @Override
    public void close() {
        for (RecordedStep r : programs.values()) r.program().close();
        programs.clear();
    }

    private static final class IntList {
        private int[] a = new int[64];
        private int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
