package dev.tokenfab.host.runtime;

import dev.tokenfab.format.model.DecoderConfig;
import dev.tokenfab.host.device.DeviceException;
import java.util.List;

/**
 * Admission of a lockstep batch: several sequences advanced by one decode step together, each at
 * its own position, sharing every weight read. Checks the batch against the decoder's limits and
 * reserves KV room for every sequence before anything runs, so a full cache fails the whole step
 * cleanly and no sequence's cache is touched.
 */
final class Lockstep {

    private Lockstep() {}

    /**
     * Checks {@code tokens[b]} at {@code positions[b]} of {@code seqs.get(b)} and reserves their KV slots.
     *
     * @return the batch size
     * @throws IllegalArgumentException a batch size outside 1..maxBatch, mismatched lengths, a token outside the vocabulary
     * @throws IllegalStateException    a closed sequence
     * @throws DeviceException          when writing a new page table entry to the device fails
     * @throws KvCacheException         when some sequence's position finds no KV room (naming it and the pool's state)
     */
    static int admit(KvCache kv, DecoderConfig c, int maxBatch, List<KvCache.Sequence> seqs, int[] tokens, int[] positions)
            throws DeviceException, KvCacheException {
        int batch = seqs.size();
        if (batch == 0 || batch > maxBatch || tokens.length != batch || positions.length != batch) {
            throw new IllegalArgumentException("batch of " + batch + " sequences, " + tokens.length + " tokens, " + positions.length
                    + " positions; this decoder takes 1.." + maxBatch + " of each");
        }
        for (int b = 0; b < batch; b++) {
            if (tokens[b] < 0 || tokens[b] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[b] + " outside the vocabulary [0, " + c.vocabSize() + ")");
            }
            if (seqs.get(b).isClosed()) throw new IllegalStateException("sequence " + seqs.get(b).id() + " is closed");
        }
        for (int b = 0; b < batch; b++) {
            KvCache.Status st = kv.reserve(seqs.get(b), positions[b]);
            if (st != KvCache.Status.OK) {
                throw new KvCacheException(st, seqs.get(b).id(), "KV cache: " + st + " for sequence " + seqs.get(b).id()
                        + " at position " + positions[b] + " (" + kv.pages().freePages() + " of " + kv.pages().totalPages()
                        + " pages free, " + kv.pageTokens() + " tokens per page, context " + c.maxContextTokens() + ")");
            }
        }
        return batch;
    }
}
