package dev.tokenfab.bitstreams.xclbin;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Reads any axlf (ours or one built by v++) into an {@link Xclbin}. Every offset and count is
 * checked against the file before use; a bad one is an {@link XclbinFormatException} naming the
 * source, the section and the value.
 *
 * <p>Like XRT (default {@code use_xclbin_group_sections=true}), the group sections
 * ASK_GROUP_TOPOLOGY / ASK_GROUP_CONNECTIVITY replace MEM_TOPOLOGY / CONNECTIVITY when present:
 * memory indices are then XRT's memory group ids.
 */
public final class XclbinReader {

    private final String source;
    private final ByteBuffer b;

    private XclbinReader(String source, byte[] bytes) {
        this.source = source;
        this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static Xclbin read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file.toString());
    }

    /** @param source name used in error messages (file path or "memory") */
    public static Xclbin read(byte[] bytes, String source) throws XclbinFormatException {
        return new XclbinReader(source, bytes).parse();
    }

    private record SectionRef(int kind, String name, int offset, int size) {}

    private XclbinFormatException bad(String what) { return new XclbinFormatException(source + ": " + what); }

    private Xclbin parse() throws XclbinFormatException {
        int fileBytes = b.capacity();
        if (fileBytes < Axlf.OFF_SECTIONS)
            throw bad("too short for an axlf header (" + fileBytes + " bytes, need at least " + Axlf.OFF_SECTIONS + ")");
        byte[] magic = new byte[8];
        b.get(0, magic);
        if (!Arrays.equals(magic, Axlf.MAGIC))
            throw bad("bad magic '" + new String(magic, 0, 7, StandardCharsets.ISO_8859_1).replaceAll("\\p{Cntrl}", "?") + "', expected 'xclbin2'");
        long length = b.getLong(Axlf.HDR_LENGTH);
        if (length < Axlf.OFF_SECTIONS || length > fileBytes)
            throw bad("header length " + length + " outside [" + Axlf.OFF_SECTIONS + ", file size " + fileBytes + "]");
        long numSections = Integer.toUnsignedLong(b.getInt(Axlf.HDR_NUM_SECTIONS));
        if (numSections > Axlf.MAX_SECTIONS || Axlf.OFF_SECTIONS + numSections * Axlf.SECTION_HEADER_BYTES > length)
            throw bad("section count " + numSections + " does not fit the " + length + "-byte image");
        List<SectionRef> sections = new ArrayList<>();
        for (int i = 0; i < numSections; i++) {
            int h = Axlf.OFF_SECTIONS + i * Axlf.SECTION_HEADER_BYTES;
            int kind = b.getInt(h);
            String name = cString(h + 4, Axlf.SECTION_NAME_BYTES);
            long off = b.getLong(h + 24), size = b.getLong(h + 32);
            if (off < 0 || size < 0 || off + size > length)
                throw bad("section " + i + " (kind " + kind + ", '" + name + "') range [" + off + ", +" + size + ") outside the " + length + "-byte image");
            sections.add(new SectionRef(kind, name, (int) off, (int) size));
        }
        UUID uuid = new UUID(b.order(ByteOrder.BIG_ENDIAN).getLong(Axlf.HDR_UUID), b.getLong(Axlf.HDR_UUID + 8));
        b.order(ByteOrder.LITTLE_ENDIAN);
        String vbnv = cString(Axlf.HDR_PLATFORM_VBNV, Axlf.PLATFORM_VBNV_BYTES);
        int modeValue = Short.toUnsignedInt(b.getShort(Axlf.HDR_MODE));
        if (modeValue >= XclbinMode.values().length) throw bad("mode " + modeValue + " not in XCLBIN_MODE (0.." + (XclbinMode.values().length - 1) + ")");

        SectionRef topo = find(sections, Axlf.ASK_GROUP_TOPOLOGY);
        if (topo == null) topo = find(sections, Axlf.MEM_TOPOLOGY);
        SectionRef conn = find(sections, Axlf.ASK_GROUP_CONNECTIVITY);
        if (conn == null) conn = find(sections, Axlf.CONNECTIVITY);
        SectionRef ips = find(sections, Axlf.IP_LAYOUT);
        SectionRef xml = find(sections, Axlf.EMBEDDED_METADATA);
        SectionRef build = find(sections, Axlf.BUILD_METADATA);

        List<Xclbin.MemoryBank> banks = topo == null ? List.of() : memTopology(topo);
        List<Xclbin.ComputeUnit> cus = ips == null ? List.of() : ipLayout(ips);
        List<Xclbin.Connection> conns = conn == null ? List.of() : connectivity(conn, banks.size(), cus.size());
        List<Xclbin.KernelInfo> kernels = xml == null ? List.of() : kernels(xml);
        String buildJson = build == null ? "" : new String(b.array(), build.offset, build.size, StandardCharsets.UTF_8).replace("\0", "");
        return new Xclbin(uuid, vbnv, XclbinMode.values()[modeValue], banks, cus, kernels, conns, buildJson);
    }

    private static SectionRef find(List<SectionRef> s, int kind) {
        return s.stream().filter(r -> r.kind == kind).findFirst().orElse(null);
    }

    private String cString(int at, int capacity) {
        int n = 0;
        while (n < capacity && b.get(at + n) != 0) n++;
        return new String(b.array(), at, n, StandardCharsets.ISO_8859_1);
    }

    private int count(SectionRef s, String what, int headerBytes, int entryBytes) throws XclbinFormatException {
        if (s.size < 4) throw bad(what + " section is " + s.size + " bytes, too short for its count");
        int n = b.getInt(s.offset);
        if (n < 0 || headerBytes + (long) n * entryBytes > s.size)
            throw bad(what + " count " + n + " needs " + (headerBytes + (long) n * entryBytes) + " bytes, section has " + s.size);
        return n;
    }

    private List<Xclbin.MemoryBank> memTopology(SectionRef s) throws XclbinFormatException {
        int n = count(s, "MEM_TOPOLOGY", 8, Axlf.MEM_DATA_BYTES);
        List<Xclbin.MemoryBank> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = s.offset + 8 + i * Axlf.MEM_DATA_BYTES;
            int type = Byte.toUnsignedInt(b.get(at));
            MemType mt = MemType.of(type);   // UNKNOWN for types newer than xclbin.h 2.13: kept, not fatal
            out.add(new Xclbin.MemoryBank(i, mt, b.get(at + 1) != 0, cString(at + 24, Axlf.MEM_TAG_BYTES),
                    b.getLong(at + 8) << 10, b.getLong(at + 16)));
        }
        return out;
    }

    private List<Xclbin.ComputeUnit> ipLayout(SectionRef s) throws XclbinFormatException {
        int n = count(s, "IP_LAYOUT", 8, Axlf.IP_DATA_BYTES);
        List<Xclbin.ComputeUnit> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int at = s.offset + 8 + i * Axlf.IP_DATA_BYTES;
            // keep every IP so connectivity's m_ip_layout_index stays valid; non-kernel IPs get a marker name
            String name = cString(at + 16, Axlf.IP_NAME_BYTES);
            if (b.getInt(at) != Axlf.IP_KERNEL) name = "#ip-type-" + b.getInt(at) + ":" + name;
            out.add(new Xclbin.ComputeUnit(i, name, b.getLong(at + 8)));
        }
        return out;
    }

    private List<Xclbin.Connection> connectivity(SectionRef s, int banks, int ips) throws XclbinFormatException {
        int n = count(s, "CONNECTIVITY", 4, Axlf.CONNECTION_BYTES);
        List<Xclbin.Connection> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = s.offset + 4 + i * Axlf.CONNECTION_BYTES;
            int arg = b.getInt(at), ip = b.getInt(at + 4), mem = b.getInt(at + 8);
            if (ip < 0 || ip >= ips) throw bad("CONNECTIVITY entry " + i + " names IP " + ip + ", IP_LAYOUT has " + ips);
            if (mem < 0 || mem >= banks) throw bad("CONNECTIVITY entry " + i + " names memory " + mem + ", topology has " + banks);
            out.add(new Xclbin.Connection(arg, ip, mem));
        }
        return out;
    }

    private List<Xclbin.KernelInfo> kernels(SectionRef s) throws XclbinFormatException {
        int len = s.size;
        while (len > 0 && b.get(s.offset + len - 1) == 0) len--;   // v++ pads the XML with NULs
        try {
            var f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            var builder = f.newDocumentBuilder();
            builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());   // errors surface as exceptions, not stderr
            var doc = builder.parse(new ByteArrayInputStream(b.array(), s.offset, len));
            List<Xclbin.KernelInfo> out = new ArrayList<>();
            for (Element platform : children(doc.getDocumentElement(), "platform"))
                for (Element device : children(platform, "device"))
                    for (Element core : children(device, "core"))
                        for (Element kernel : children(core, "kernel")) {
                            List<Xclbin.KernelArg> args = new ArrayList<>();
                            for (Element arg : children(kernel, "arg")) {
                                String id = arg.getAttribute("id");
                                if (id.isEmpty()) continue;   // OpenCL work-group args carry no index
                                args.add(new Xclbin.KernelArg(Integer.decode(id), arg.getAttribute("name"),
                                        "1".equals(arg.getAttribute("addressQualifier")), arg.getAttribute("type"),
                                        arg.getAttribute("port"), decode(arg.getAttribute("offset")), decode(arg.getAttribute("size"))));
                            }
                            args.sort(java.util.Comparator.comparingInt(Xclbin.KernelArg::index));
                            out.add(new Xclbin.KernelInfo(kernel.getAttribute("name"), args));
                        }
            return out;
        } catch (NumberFormatException e) {
            throw bad("EMBEDDED_METADATA has a non-numeric kernel arg field: " + e.getMessage());
        } catch (Exception e) {
            throw new XclbinFormatException(source + ": EMBEDDED_METADATA is not valid XML: " + e.getMessage(), e);
        }
    }

    private static long decode(String v) { return v.isEmpty() ? 0 : Long.decode(v); }

    private static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
            if (n instanceof Element e && e.getTagName().equals(tag)) out.add(e);
        return out;
    }
}
