package dev.tokenfab.bitstreams.xclbin;

import java.io.IOException;

/** An xclbin that is not a well-formed axlf; the message names the source, the section and the bad value. */
public final class XclbinFormatException extends IOException {
    public XclbinFormatException(String message) { super(message); }

    public XclbinFormatException(String message, Throwable cause) { super(message, cause); }
}
