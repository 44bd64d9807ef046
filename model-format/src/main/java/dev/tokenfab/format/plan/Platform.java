package dev.tokenfab.format.plan;

/**
 * Alveo platforms the planner targets. Every figure feeds <b>modeled</b> performance and power only
 * (through {@link dev.tokenfab.format.card.CardModel}); each cites its source here and in
 * {@code docs/SOURCES.md}, which also says which ones were checked against the document.
 *
 * <p>Sources used below:
 * <ul>
 *   <li>[UG1393] AMD, Vitis Unified Software Platform Documentation: Application Acceleration
 *       Development, "HBM Configuration and Use" (2023.1): 32 pseudo-channels (PCs), 14.375 GB/s max
 *       theoretical bandwidth per PC, 460 GB/s in all; 512 MB PCs on U55C (16 GB), 256 MB PCs on U280
 *       (8 GB). Checked.</li>
 *   <li>[UG1120] AMD, Alveo Data Center Accelerator Card Platforms User Guide: platform (shell)
 *       names, DDR/HBM connections per SLR, default kernel clock of 300 MHz.</li>
 *   <li>[DS978] AMD, Alveo U55C Data Center Accelerator Cards Data Sheet; [DS963] Alveo U280 Data
 *       Center Accelerator Card Data Sheet; [DS962] Alveo U200 and U250 Data Center Accelerator Cards
 *       Data Sheet: FPGA resources, DDR4 (2400 MT/s x 64 bit = 19.2 GB/s per bank), maximum board power.
 *       Taken from the design brief; not re-checked against the data sheets here.</li>
 *   <li>Idle board watts: not published in any data sheet. The U280's 37 W is the idle level of the
 *       FlexLLM U280 decode power log ({@code u280_power_log.csv}, xbutil electrical readings); the
 *       U55C's 24 W and U250's 27 W are XRT {@code xbutil examine -r electrical} idle readings reported
 *       in AMD/XRT forum and issue logs (XRT issue #7874 for the U55C). From the design brief;
 *       unverified here.</li>
 * </ul>
 *
 * <p>Fields:
 * <ul>
 * <li>{@code vitisPlatform}: the Vitis platform name used by v++ --platform [UG1120]</li>
 * <li>{@code hbmChannels}: HBM pseudo-channels, 0 on DDR-only cards [UG1393]</li>
 * <li>{@code hbmChannelBytes}: capacity of one pseudo-channel [UG1393]</li>
 * <li>{@code hbmChannelBytesPerSecond}: peak (max theoretical) bandwidth of one pseudo-channel [UG1393]</li>
 * <li>{@code ddrBanks}: DDR4 banks [DS963, DS962]</li>
 * <li>{@code ddrBankBytes}: capacity of one DDR bank [DS963, DS962]</li>
 * <li>{@code ddrBankBytesPerSecond}: peak bandwidth of one DDR4-2400 bank [DS963, DS962]</li>
 * <li>{@code kernelClockMhz}: default user kernel clock of the shell [UG1120]</li>
 * <li>{@code idleWatts}: board power at idle with the shell loaded (measured by others, see above)</li>
 * <li>{@code maxBoardWatts}: board power limit [DS978, DS963, DS962]</li>
 * <li>{@code resources}: programmable-logic resources of the card's FPGA [DS978, DS963, DS962]</li>
 * </ul>
 */
public enum Platform {
    /** Alveo U55C: 16 GB HBM2 in 32 PCs of 512 MB, 460 GB/s [UG1393]; no DDR; idle 24 W (XRT issue #7874,
     *  unverified); 150 W max [DS978]. */
    U55C("xilinx_u55c_gen3x16_xdma_3_202210_1", 32, 512L << 20, 14_375_000_000L, 0, 0, 0, 300, 24.0, 150.0,
            // XCU55C [DS978]: 9,024 DSP, 2,016 BRAM36, 960 URAM, 1,304K LUT
            new Resources(9024, 2016, 960, 1_304_000)),
    /** Alveo U280: 8 GB HBM2 in 32 PCs of 256 MB, 460 GB/s [UG1393], plus 2x16 GB DDR4 at 19.2 GB/s each
     *  [DS963]; idle 37 W (FlexLLM {@code u280_power_log.csv}, unverified); 225 W max [DS963]. */
    U280("xilinx_u280_gen3x16_xdma_1_202211_1", 32, 256L << 20, 14_375_000_000L, 2, 16L << 30, 19_200_000_000L, 300, 37.0, 225.0,
            // XCU280 [DS963]: 9,024 DSP, 2,016 BRAM36, 960 URAM, 1,304K LUT
            new Resources(9024, 2016, 960, 1_304_000)),
    /** Alveo U250: DDR only, 4x16 GB DDR4 at 19.2 GB/s each [DS962]; idle 27 W (XRT xbutil readings in
     *  forum logs, unverified); 225 W max [DS962]. */
    U250("xilinx_u250_gen3x16_xdma_4_1_202210_1", 0, 0, 0, 4, 16L << 30, 19_200_000_000L, 300, 27.0, 225.0,
            // XCU250 [DS962]: 12,288 DSP, 2,688 BRAM36, 1,280 URAM, 1,728K LUT
            new Resources(12288, 2688, 1280, 1_728_000));

    /** Programmable-logic resources: DSP48E2 slices, 36 Kb block RAMs, 288 Kb UltraRAMs, 6-input LUTs. */
    public record Resources(int dsp, int bram36, int uram, int lut) {}

    private final String vitisPlatform;
    private final int hbmChannels;
    private final long hbmChannelBytes;
    private final long hbmChannelBytesPerSecond;
    private final int ddrBanks;
    private final long ddrBankBytes;
    private final long ddrBankBytesPerSecond;
    private final int kernelClockMhz;
    private final double idleWatts;
    private final double maxBoardWatts;
    private final Resources resources;

    Platform(String vitisPlatform, int hbmChannels, long hbmChannelBytes, long hbmChannelBytesPerSecond,
             int ddrBanks, long ddrBankBytes, long ddrBankBytesPerSecond, int kernelClockMhz,
             double idleWatts, double maxBoardWatts, Resources resources) {
        this.vitisPlatform = vitisPlatform;
        this.hbmChannels = hbmChannels;
        this.hbmChannelBytes = hbmChannelBytes;
        this.hbmChannelBytesPerSecond = hbmChannelBytesPerSecond;
        this.ddrBanks = ddrBanks;
        this.ddrBankBytes = ddrBankBytes;
        this.ddrBankBytesPerSecond = ddrBankBytesPerSecond;
        this.kernelClockMhz = kernelClockMhz;
        this.idleWatts = idleWatts;
        this.maxBoardWatts = maxBoardWatts;
        this.resources = resources;
    }

    public String vitisPlatform() { return vitisPlatform; }
    public int hbmChannels() { return hbmChannels; }
    public long hbmChannelBytes() { return hbmChannelBytes; }
    public long hbmChannelBytesPerSecond() { return hbmChannelBytesPerSecond; }
    public int ddrBanks() { return ddrBanks; }
    public long ddrBankBytes() { return ddrBankBytes; }
    public long ddrBankBytesPerSecond() { return ddrBankBytesPerSecond; }
    public int kernelClockMhz() { return kernelClockMhz; }
    public double idleWatts() { return idleWatts; }
    public double maxBoardWatts() { return maxBoardWatts; }
    public Resources resources() { return resources; }

    /** True when bank {@code bank} is an HBM pseudo-channel (else DDR). */
    public boolean isHbm(int bank) { return bank < hbmChannels; }

    /** Banks that hold weights: all HBM pseudo-channels where the card has HBM, else all DDR banks
     *  (either way banks [0, weightBanks()), since HBM channels are numbered first). */
    public int weightBanks() { return hbmChannels > 0 ? hbmChannels : ddrBanks; }

    /** Memory banks the planner may place tensors in: HBM channels first, then DDR banks. */
    public int memoryBanks() { return hbmChannels + ddrBanks; }

    public long bankBytes(int bank) { return bank < hbmChannels ? hbmChannelBytes : ddrBankBytes; }

    public long bankBytesPerSecond(int bank) { return bank < hbmChannels ? hbmChannelBytesPerSecond : ddrBankBytesPerSecond; }

    /** Aggregate peak bandwidth of all banks: the decode roofline's numerator. */
    public long totalBytesPerSecond() { return hbmChannels * hbmChannelBytesPerSecond + ddrBanks * ddrBankBytesPerSecond; }

    /** Case-insensitive lookup; the error names the allowed values. */
    public static Platform parse(String name) {
        for (Platform p : values()) if (p.name().equalsIgnoreCase(name)) return p;
        throw new IllegalArgumentException("unknown platform '" + name + "'; allowed: u55c, u280, u250");
    }
}
