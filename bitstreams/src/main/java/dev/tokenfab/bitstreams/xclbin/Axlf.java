package dev.tokenfab.bitstreams.xclbin;

/**
 * Byte layout of the xclbin container ({@code axlf}), transcribed from XRT 2.13's
 * {@code /usr/include/xrt/xclbin.h}; the struct sizes there are static-asserted and repeated here
 * as constants. All integers are little-endian; every section starts 8-byte aligned.
 */
final class Axlf {

    private Axlf() {}

    /** {@code axlf.m_magic}: "xclbin2\0". */
    static final byte[] MAGIC = {'x', 'c', 'l', 'b', 'i', 'n', '2', 0};
    static final int OFF_SIGNATURE_LENGTH = 8;
    static final int OFF_RESERVED = 12;
    static final int RESERVED_BYTES = 28;
    static final int OFF_UNIQUE_ID = 296;
    /** {@code axlf.m_header} (struct axlf_header, 152 bytes). */
    static final int OFF_HEADER = 304;
    static final int HDR_LENGTH = OFF_HEADER;
    static final int HDR_TIMESTAMP = OFF_HEADER + 8;
    static final int HDR_VERSION_PATCH = OFF_HEADER + 24;
    static final int HDR_VERSION_MAJOR = OFF_HEADER + 26;
    static final int HDR_VERSION_MINOR = OFF_HEADER + 27;
    static final int HDR_MODE = OFF_HEADER + 28;
    static final int HDR_PLATFORM_VBNV = OFF_HEADER + 48;
    static final int PLATFORM_VBNV_BYTES = 64;
    static final int HDR_UUID = OFF_HEADER + 112;
    static final int HDR_NUM_SECTIONS = OFF_HEADER + 144;
    /** {@code axlf.m_sections}: first section header; sizeof(struct axlf) == 496 includes one. */
    static final int OFF_SECTIONS = 456;
    /** sizeof(struct axlf_section_header). */
    static final int SECTION_HEADER_BYTES = 40;
    static final int SECTION_NAME_BYTES = 16;
    /** {@code XCLBIN_MAX_NUM_SECTION}. */
    static final int MAX_SECTIONS = 0x10000;

    /** sizeof(struct mem_data); m_size is in KiB for memory banks. */
    static final int MEM_DATA_BYTES = 40;
    static final int MEM_TAG_BYTES = 16;
    /** sizeof(struct ip_data). */
    static final int IP_DATA_BYTES = 80;
    static final int IP_NAME_BYTES = 64;
    /** sizeof(struct connection). */
    static final int CONNECTION_BYTES = 12;

    /** {@code enum axlf_section_kind} values used here. */
    static final int EMBEDDED_METADATA = 2;
    static final int MEM_TOPOLOGY = 6;
    static final int CONNECTIVITY = 7;
    static final int IP_LAYOUT = 8;
    static final int BUILD_METADATA = 14;
    static final int ASK_GROUP_TOPOLOGY = 26;
    static final int ASK_GROUP_CONNECTIVITY = 27;

    /** {@code enum IP_TYPE}: IP_KERNEL. */
    static final int IP_KERNEL = 1;
    /** {@code IP_CONTROL_SHIFT} / {@code IP_INT_ENABLE_MASK}. */
    static final int IP_CONTROL_SHIFT = 8;
    static final int IP_INT_ENABLE_MASK = 0x1;
    static final int AP_CTRL_HS = 0;

    static long align8(long v) { return (v + 7) & ~7L; }
}
