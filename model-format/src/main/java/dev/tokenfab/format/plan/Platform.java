package dev.tokenfab.format.plan;

/**
 * Alveo platforms the planner targets. Figures are datasheet or published values, cited per field;
 * they feed *modeled* performance and power only.
 *
 * <ul>
 * <li>{@code vitisPlatform}: the Vitis platform name used by v++ --platform</li>
 * <li>{@code hbmChannels}: HBM pseudo-channels (0 on DDR-only cards)</li>
 * <li>{@code hbmChannelBytes}: capacity of one pseudo-channel</li>
 * <li>{@code hbmChannelBytesPerSecond}: peak bandwidth of one pseudo-channel</li>
 * <li>{@code ddrBanks}: DDR4 banks</li>
 * <li>{@code ddrBankBytes}: capacity of one DDR bank</li>
 * <li>{@code ddrBankBytesPerSecond}: peak bandwidth of one DDR bank</li>
 * <li>{@code kernelClockMhz}: default user kernel clock of the shell</li>
 * <li>{@code idleWatts}: board power at idle with the shell loaded</li>
 * <li>{@code maxBoardWatts}: board power limit (TDP)</li>
 * <li>{@code resources}: programmable-logic resources of the card's FPGA</li>
 * </ul>
 */
public enum Platform {
    /** Alveo U55C: 16 GB HBM2, 32 PCs, 460 GB/s (DS978 v1.1); idle ~24 W not published: we use 24 W
     *  from the XRT power report seen in AMD forum logs of idle U55C boards; 150 W max (DS978). */
    U55C("xilinx_u55c_gen3x16_xdma_3_202210_1", 32, 512L << 20, 14_375_000_000L, 0, 0, 0, 300, 24.0, 150.0,
            // XCU55C (DS978 table 1): 9,024 DSP, 2,016 BRAM36, 960 URAM, 1,304K LUT
            new Resources(9024, 2016, 960, 1_304_000)),
    /** Alveo U280: 8 GB HBM2 in 32 PCs of 256 MB, 460 GB/s, plus 2x16 GB DDR4 at 19.2 GB/s each (DS963);
     *  idle ~37 W (published U280 decoder log, DESIGN.md); 225 W max (DS963). */
    U280("xilinx_u280_gen3x16_xdma_1_202211_1", 32, 256L << 20, 14_375_000_000L, 2, 16L << 30, 19_200_000_000L, 300, 37.0, 225.0,
            // XCU280 (DS963 table 1): 9,024 DSP, 2,016 BRAM36, 960 URAM, 1,304K LUT
            new Resources(9024, 2016, 960, 1_304_000)),
    /** Alveo U250: DDR only, 4x16 GB DDR4 at 19.2 GB/s each (DS962); idle ~27 W (XRT reports in AMD forum logs); 225 W max. */
    U250("xilinx_u250_gen3x16_xdma_4_1_202210_1", 0, 0, 0, 4, 16L << 30, 19_200_000_000L, 300, 27.0, 225.0,
            // XCU250 (DS962 table 1): 12,288 DSP, 2,688 BRAM36, 1,280 URAM, 1,728K LUT
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
