package dev.tokenfab.bitstreams.xclbin;

import dev.tokenfab.bitstreams.BankMap;
import dev.tokenfab.format.plan.Platform;
import dev.tokenfab.kernels.Kernel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;

/**
 * Writes an xclbin (axlf container) for a {@link BankMap}: the sections XRT needs to open a device
 * image, allocate buffers in memory groups and open kernels, but no bitstream. With the noop shim
 * ({@code XCL_EMULATION_MODE=noop}) XRT loads it like a real one; on a card it would be refused
 * (no BITSTREAM), which is why {@link #write} names its output an emulation image.
 *
 * <p>Sections, as v++ lays them out: MEM_TOPOLOGY (one entry per plan bank: {@code HBM[i]} then
 * {@code DDR[j]}), IP_LAYOUT (one {@code IP_KERNEL} per instance, named {@code kernel:instance},
 * sorted by base address), CONNECTIVITY (instance argument → bank, one entry per bank the
 * argument may address), EMBEDDED_METADATA (the XML XRT 2.13 reads kernel arguments from:
 * {@code project/platform/device/core/kernel/arg} with id, addressQualifier, offset, size, port)
 * and BUILD_METADATA (JSON).
 *
 * <p>The output is reproducible: timestamp 0 and a uuid derived from the content (name-based
 * UUID of the image with the uuid field zeroed).
 */
public final class XclbinWriter {

    /** First CU control base address; 64 KiB apart (XRT assumes 64 KiB CU register windows, xclbin_parser.cpp). */
    static final long CU_BASE_ADDRESS = 0x1800000L;
    static final long CU_ADDRESS_STRIDE = 0x10000L;
    /** s_axilite register window of one kernel; arguments start at 0x10 after ap_ctrl/GIE/IER/ISR (Vitis HLS register map). */
    static final long CONTROL_RANGE_BYTES = 0x1000L;
    static final long FIRST_ARG_OFFSET = 0x10L;
    /** A 64-bit pointer register takes 12 bytes (two data words + one reserved), a 32-bit scalar 8 (HLS register map). */
    static final long POINTER_REGISTER_STRIDE = 12;
    static final long SCALAR_REGISTER_STRIDE = 8;
    /** 512-bit AXI beat of HBM/DDR ports. */
    static final int M_AXI_DATA_WIDTH_BITS = 512;
    /** xclbin format version we write (XRT 2.13 reads 2.x). */
    static final int VERSION_MAJOR = 2, VERSION_MINOR = 13, VERSION_PATCH = 0;

    private XclbinWriter() {}

    /** Writes {@code map} to {@code file} through a temporary file and an atomic rename. */
    public static Path write(BankMap map, XclbinMode mode, Path file) throws IOException {
        byte[] bytes = toBytes(map, mode);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    public static byte[] toBytes(BankMap map, XclbinMode mode) {
        Platform p = map.platform();
        List<Section> sections = List.of(
                new Section(Axlf.MEM_TOPOLOGY, "mem_topology", memTopology(p)),
                new Section(Axlf.IP_LAYOUT, "ip_layout", ipLayout(map)),
                new Section(Axlf.CONNECTIVITY, "connectivity", connectivity(map)),
                new Section(Axlf.EMBEDDED_METADATA, "metadata", metadataXml(map, mode).getBytes(StandardCharsets.UTF_8)),
                new Section(Axlf.BUILD_METADATA, "build_meta", buildMetadata(map).getBytes(StandardCharsets.UTF_8)));

        long headerEnd = Axlf.OFF_SECTIONS + (long) sections.size() * Axlf.SECTION_HEADER_BYTES;
        long[] offsets = new long[sections.size()];
        long pos = Axlf.align8(headerEnd);
        for (int i = 0; i < sections.size(); i++) {
            offsets[i] = pos;
            pos = Axlf.align8(pos + sections.get(i).data.length);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(pos)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, Axlf.MAGIC);
        b.putInt(Axlf.OFF_SIGNATURE_LENGTH, -1);                 // -1: unsigned
        for (int i = 0; i < Axlf.RESERVED_BYTES; i++) b.put(Axlf.OFF_RESERVED + i, (byte) 0xFF); // "Initialized to 0xFFs"
        b.putLong(Axlf.HDR_LENGTH, pos);
        b.putLong(Axlf.HDR_TIMESTAMP, 0);
        b.putShort(Axlf.HDR_VERSION_PATCH, (short) VERSION_PATCH);
        b.put(Axlf.HDR_VERSION_MAJOR, (byte) VERSION_MAJOR);
        b.put(Axlf.HDR_VERSION_MINOR, (byte) VERSION_MINOR);
        b.putShort(Axlf.HDR_MODE, (short) mode.ordinal());
        putCString(b, Axlf.HDR_PLATFORM_VBNV, p.vitisPlatform(), Axlf.PLATFORM_VBNV_BYTES, "platform VBNV");
        b.putInt(Axlf.HDR_NUM_SECTIONS, sections.size());
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            int h = Axlf.OFF_SECTIONS + i * Axlf.SECTION_HEADER_BYTES;
            b.putInt(h, s.kind);
            putCString(b, h + 4, s.name, Axlf.SECTION_NAME_BYTES, "section name");
            b.putLong(h + 24, offsets[i]);
            b.putLong(h + 32, s.data.length);
            b.put(Math.toIntExact(offsets[i]), s.data);
        }
        byte[] bytes = b.array();
        UUID uuid = UUID.nameUUIDFromBytes(bytes);
        ByteBuffer.wrap(bytes, Axlf.HDR_UUID, 16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        ByteBuffer.wrap(bytes, Axlf.OFF_UNIQUE_ID, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(uuid.getLeastSignificantBits());
        return bytes;
    }

    private record Section(int kind, String name, byte[] data) {}

    private static void putCString(ByteBuffer b, int at, String s, int capacity, String what) {
        byte[] raw = s.getBytes(StandardCharsets.US_ASCII);
        if (raw.length >= capacity) throw new IllegalArgumentException(what + " '" + s + "' longer than " + (capacity - 1) + " bytes");
        b.put(at, raw);
    }

    private static byte[] memTopology(Platform p) {
        int n = p.memoryBanks();
        ByteBuffer b = ByteBuffer.allocate(8 + n * Axlf.MEM_DATA_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, n);
        long base = 0;
        for (int i = 0; i < n; i++) {
            int at = 8 + i * Axlf.MEM_DATA_BYTES;
            b.put(at, (byte) (i < p.hbmChannels() ? MemType.HBM : MemType.DDR4).ordinal());
            b.put(at + 1, (byte) 1);                              // m_used
            b.putLong(at + 8, p.bankBytes(i) >> 10);              // m_size in KiB
            b.putLong(at + 16, base);
            putCString(b, at + 24, BankMap.bankTag(p, i), Axlf.MEM_TAG_BYTES, "memory tag");
            base += p.bankBytes(i);
        }
        return b.array();
    }

    private static byte[] ipLayout(BankMap map) {
        int n = map.instances().size();
        ByteBuffer b = ByteBuffer.allocate(8 + n * Axlf.IP_DATA_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, n);
        for (int i = 0; i < n; i++) {
            BankMap.Instance inst = map.instances().get(i);
            int at = 8 + i * Axlf.IP_DATA_BYTES;
            b.putInt(at, Axlf.IP_KERNEL);
            // interrupt enabled, interrupt id 0 for all (legacy numbering: CUs sorted by address), ap_ctrl_hs
            b.putInt(at + 4, (Axlf.AP_CTRL_HS << Axlf.IP_CONTROL_SHIFT) | Axlf.IP_INT_ENABLE_MASK);
            b.putLong(at + 8, CU_BASE_ADDRESS + i * CU_ADDRESS_STRIDE);
            putCString(b, at + 16, inst.kernel().symbol() + ":" + inst.name(), Axlf.IP_NAME_BYTES, "IP name");
        }
        return b.array();
    }

    private static byte[] connectivity(BankMap map) {
        record Conn(int arg, int ip, int mem) {}
        List<Conn> conns = new ArrayList<>();
        for (int ip = 0; ip < map.instances().size(); ip++) {
            BankMap.Instance inst = map.instances().get(ip);
            List<Kernel.Arg> args = inst.kernel().args();
            for (int a = 0; a < args.size(); a++) {
                if (args.get(a).kind() != Kernel.ArgKind.POINTER) continue;
                for (int bank : map.banksOf(inst, args.get(a).name())) conns.add(new Conn(a, ip, bank));
            }
        }
        ByteBuffer b = ByteBuffer.allocate(4 + conns.size() * Axlf.CONNECTION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, conns.size());
        for (int i = 0; i < conns.size(); i++) {
            int at = 4 + i * Axlf.CONNECTION_BYTES;
            b.putInt(at, conns.get(i).arg).putInt(at + 4, conns.get(i).ip).putInt(at + 8, conns.get(i).mem);
        }
        return b.array();
    }

    /** Register offset of every argument of {@code k} in its s_axilite window. */
    static long[] registerOffsets(Kernel k) {
        long[] out = new long[k.args().size()];
        long off = FIRST_ARG_OFFSET;
        for (int i = 0; i < out.length; i++) {
            out[i] = off;
            off += k.args().get(i).kind() == Kernel.ArgKind.POINTER ? POINTER_REGISTER_STRIDE : SCALAR_REGISTER_STRIDE;
        }
        if (off > CONTROL_RANGE_BYTES) throw new IllegalArgumentException(k.symbol() + ": registers exceed the control range");
        return out;
    }

    static String portOf(Kernel.Arg a) {
        return a.kind() == Kernel.ArgKind.POINTER ? "M_AXI_" + a.name().toUpperCase(java.util.Locale.ROOT) : "S_AXI_CONTROL";
    }

    private static String metadataXml(BankMap map, XclbinMode mode) {
        Platform p = map.platform();
        String target = switch (mode) { case HW_EMU, HW_EMU_PR -> "hw_em"; case SW_EMU -> "csim"; default -> "bitstream"; };
        StringBuilder x = new StringBuilder();
        x.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.append("<project name=\"tokenfab\">\n");
        x.append("  <platform vendor=\"xilinx\" boardid=\"").append(esc(p.name().toLowerCase(java.util.Locale.ROOT)))
         .append("\" name=\"").append(esc(p.vitisPlatform())).append("\" featureRomTime=\"0\">\n");
        x.append("    <version major=\"1\" minor=\"0\"/>\n");
        x.append("    <description/>\n");
        x.append("    <board name=\"").append(esc(p.vitisPlatform())).append("\" vendor=\"xilinx\" fpga=\"\"/>\n");
        x.append("    <build_flow/>\n");
        x.append("    <host architecture=\"x86_64\"/>\n");
        x.append("    <device name=\"fpga0\" fpgaDevice=\"virtexuplus\" addrWidth=\"0\">\n");
        x.append("      <core name=\"OCL_REGION_0\" target=\"").append(target).append("\" type=\"clc_region\" clockFreq=\"")
         .append(p.kernelClockMhz()).append("MHz\" numComputeUnits=\"").append(map.instances().size()).append("\">\n");
        x.append("        <kernelClocks>\n");
        x.append("          <clock port=\"KERNEL_CLK\" frequency=\"").append(p.kernelClockMhz()).append("MHz\"/>\n");
        x.append("        </kernelClocks>\n");
        var kernels = new LinkedHashSet<Kernel>();
        map.instances().forEach(i -> kernels.add(i.kernel()));
        for (Kernel k : kernels) {
            x.append("        <kernel name=\"").append(esc(k.symbol())).append("\" language=\"c\" vlnv=\"tokenfab:hls:")
             .append(esc(k.symbol())).append(":1.0\" preferredWorkGroupSizeMultiple=\"0\" workGroupSize=\"1\"")
             .append(" interrupt=\"true\" hwControlProtocol=\"ap_ctrl_hs\">\n");
            x.append("          <port name=\"S_AXI_CONTROL\" mode=\"slave\" range=\"0x").append(Long.toHexString(CONTROL_RANGE_BYTES))
             .append("\" dataWidth=\"32\" portType=\"addressable\" base=\"0x0\"/>\n");
            for (Kernel.Arg a : k.args())
                if (a.kind() == Kernel.ArgKind.POINTER)
                    x.append("          <port name=\"").append(portOf(a)).append("\" mode=\"master\" range=\"0xFFFFFFFFFFFFFFFF\" dataWidth=\"")
                     .append(M_AXI_DATA_WIDTH_BITS).append("\" portType=\"addressable\" base=\"0x0\"/>\n");
            long[] offs = registerOffsets(k);
            for (int i = 0; i < k.args().size(); i++) {
                Kernel.Arg a = k.args().get(i);
                boolean ptr = a.kind() == Kernel.ArgKind.POINTER;
                String type = switch (a.kind()) { case POINTER -> "void*"; case INT -> "int"; case FLOAT -> "float"; };
                x.append("          <arg name=\"").append(esc(a.name())).append("\" addressQualifier=\"").append(ptr ? 1 : 0)
                 .append("\" id=\"").append(i).append("\" port=\"").append(portOf(a)).append("\" size=\"0x").append(ptr ? 8 : 4)
                 .append("\" offset=\"0x").append(Long.toHexString(offs[i])).append("\" hostOffset=\"0x0\" hostSize=\"0x")
                 .append(ptr ? 8 : 4).append("\" type=\"").append(type).append("\"/>\n");
            }
            x.append("          <compileWorkGroupSize x=\"1\" y=\"1\" z=\"1\"/>\n");
            x.append("          <maxWorkGroupSize x=\"1\" y=\"1\" z=\"1\"/>\n");
            for (int ip = 0; ip < map.instances().size(); ip++) {
                BankMap.Instance inst = map.instances().get(ip);
                if (inst.kernel() != k) continue;
                x.append("          <instance name=\"").append(esc(inst.name())).append("\">\n");
                x.append("            <addrRemap base=\"0x").append(Long.toHexString(CU_BASE_ADDRESS + ip * CU_ADDRESS_STRIDE))
                 .append("\" range=\"0x").append(Long.toHexString(CU_ADDRESS_STRIDE)).append("\" port=\"S_AXI_CONTROL\"/>\n");
                x.append("          </instance>\n");
            }
            x.append("        </kernel>\n");
        }
        x.append("      </core>\n");
        x.append("    </device>\n");
        x.append("  </platform>\n");
        x.append("</project>\n");
        return x.toString();
    }

    private static String buildMetadata(BankMap map) {
        StringBuilder j = new StringBuilder();
        j.append("{\n  \"build_metadata\": {\n    \"xclbin\": {\n");
        j.append("      \"generated_by\": {\"name\": \"tokenfab bitstreams\", \"version\": \"0.1.0\", \"options\": \"emulation image, no bitstream\"},\n");
        j.append("      \"packaged_by\": {\"name\": \"tokenfab XclbinWriter\", \"version\": \"0.1.0\"},\n");
        j.append("      \"user_regions\": [{\"name\": \"OCL_REGION_0\", \"type\": \"clc_region\", \"kernels\": [");
        var kernels = new LinkedHashSet<Kernel>();
        map.instances().forEach(i -> kernels.add(i.kernel()));
        j.append(String.join(", ", kernels.stream().map(k -> "{\"name\": \"" + jsonEsc(k.symbol()) + "\", \"instances\": ["
                + String.join(", ", map.instances().stream().filter(i -> i.kernel() == k).map(i -> "{\"name\": \"" + jsonEsc(i.name()) + "\"}").toList())
                + "]}").toList()));
        j.append("]}]\n    },\n    \"platform\": \"").append(jsonEsc(map.platform().vitisPlatform())).append("\"\n  }\n}\n");
        return j.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String jsonEsc(String s) { return s.replace("\\", "\\\\").replace("\"", "\\\""); }

}
