package dev.tokenfab.host.runtime;

import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.OptionalInt;

/**
 * Hands out KV-cache page indices from a fixed pool with a free list. One allocator serves every
 * layer: page {@code p} means page {@code p} of each layer's K and V pool (docs/ARCHITECTURE.md).
 * Lowest indices are handed out first, and a freed page is reused before untouched ones, which
 * keeps a short run's working set small. Not thread-safe.
 */
public final class PageAllocator {

    private final int totalPages;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final BitSet used;

    public PageAllocator(int totalPages) {
        if (totalPages <= 0) throw new IllegalArgumentException("totalPages must be positive, was " + totalPages);
        this.totalPages = totalPages;
        this.used = new BitSet(totalPages);
        for (int p = 0; p < totalPages; p++) free.addLast(p);
    }

    /** A free page, or empty when every page is in use. */
    public OptionalInt allocate() {
        Integer p = free.pollFirst();
        if (p == null) return OptionalInt.empty();
        used.set(p);
        return OptionalInt.of(p);
    }

    /** Returns {@code page} to the pool. @throws IllegalArgumentException if it is not allocated (double free). */
    public void free(int page) {
        if (page < 0 || page >= totalPages) throw new IllegalArgumentException("page " + page + " not in [0, " + totalPages + ")");
        if (!used.get(page)) throw new IllegalArgumentException("page " + page + " is not allocated (double free?)");
        used.clear(page);
        free.addFirst(page);
    }

    public int totalPages() { return totalPages; }

    public int freePages() { return free.size(); }

    public int usedPages() { return totalPages - free.size(); }

    public boolean isAllocated(int page) { return page >= 0 && page < totalPages && used.get(page); }
}
