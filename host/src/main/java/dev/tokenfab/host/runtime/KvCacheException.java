package dev.tokenfab.host.runtime;

/** A decode step could not get KV-cache room for a sequence; nothing was written for any sequence of that step. */
public final class KvCacheException extends Exception {

    private final KvCache.Status status;
    private final int sequenceId;

    public KvCacheException(KvCache.Status status, int sequenceId, String message) {
        super(message);
        this.status = status;
        this.sequenceId = sequenceId;
    }

    public KvCache.Status status() { return status; }

    public int sequenceId() { return sequenceId; }
}
