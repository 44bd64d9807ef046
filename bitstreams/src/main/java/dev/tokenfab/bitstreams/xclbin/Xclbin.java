package dev.tokenfab.bitstreams.xclbin;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What an xclbin says, as read by {@link XclbinReader}: identity, memory topology, kernels with
 * their arguments (from the EMBEDDED_METADATA XML), compute units (IP_LAYOUT) and which compute
 * unit argument is wired to which memory bank (CONNECTIVITY).
 *
 * @param uuid          {@code axlf_header.uuid}, the id XRT opens kernels by
 * @param platformVbnv  {@code m_platformVBNV}, e.g. {@code xilinx_u55c_gen3x16_xdma_3_202210_1}
 * @param mode          {@code m_mode}
 * @param memoryBanks   MEM_TOPOLOGY entries, by index (= XRT memory group for BO allocation)
 * @param computeUnits  IP_LAYOUT kernel instances
 * @param kernels       kernels of the XML metadata
 * @param connections   CONNECTIVITY entries
 * @param buildMetadataJson BUILD_METADATA section text, or empty
 */
public record Xclbin(UUID uuid, String platformVbnv, XclbinMode mode, List<MemoryBank> memoryBanks,
                     List<ComputeUnit> computeUnits, List<KernelInfo> kernels, List<Connection> connections,
                     String buildMetadataJson) {

    public Xclbin {
        memoryBanks = List.copyOf(memoryBanks);
        computeUnits = List.copyOf(computeUnits);
        kernels = List.copyOf(kernels);
        connections = List.copyOf(connections);
    }

    /** @param sizeBytes bank capacity ({@code m_size} KiB × 1024) */
    public record MemoryBank(int index, MemType type, boolean used, String tag, long sizeBytes, long baseAddress) {}

    /** @param name IP name {@code kernel:instance}; @param index position in IP_LAYOUT (connectivity refers to it) */
    public record ComputeUnit(int index, String name, long baseAddress) {
        public String kernel() { int c = name.indexOf(':'); return c < 0 ? name : name.substring(0, c); }

        public String instance() { int c = name.indexOf(':'); return c < 0 ? name : name.substring(c + 1); }
    }

    /**
     * @param pointer      {@code addressQualifier == 1} (global memory, an m_axi port)
     * @param offsetBytes  register offset in the control interface
     */
    public record KernelArg(int index, String name, boolean pointer, String type, String port, long offsetBytes,
                            long sizeBytes) {}

    public record KernelInfo(String name, List<KernelArg> args) {
        public KernelInfo { args = List.copyOf(args); }
    }

    /** One CONNECTIVITY entry: argument {@code argIndex} of compute unit {@code computeUnit} → bank {@code memIndex}. */
    public record Connection(int argIndex, int computeUnit, int memIndex) {}

    public Optional<KernelInfo> kernel(String name) {
        return kernels.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    /** Banks (memory indices, ascending) that argument {@code argIndex} of every CU of {@code kernel} is wired to. */
    public List<Integer> banksOf(String kernel, int argIndex) {
        return connections.stream()
                .filter(c -> c.argIndex() == argIndex && c.computeUnit() < computeUnits.size()
                        && computeUnits.get(c.computeUnit()).kernel().equals(kernel))
                .map(Connection::memIndex).distinct().sorted().toList();
    }
}
