package dev.tokenfab.host.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PageAllocatorTest {

    @Test
    void handsOutEveryPageOnceThenRunsOut() {
        PageAllocator a = new PageAllocator(4);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 4; i++) assertTrue(seen.add(a.allocate().orElseThrow()));
        assertEquals(Set.of(0, 1, 2, 3), seen);
        assertTrue(a.allocate().isEmpty());
        assertEquals(0, a.freePages());
    }

    @Test
    void freedPagesAreReusedFirst() {
        PageAllocator a = new PageAllocator(8);
        for (int i = 0; i < 5; i++) a.allocate();
        a.free(2);
        assertFalse(a.isAllocated(2));
        assertEquals(2, a.allocate().orElseThrow());
        assertEquals(5, a.allocate().orElseThrow());
        assertEquals(6, a.usedPages());
    }

    @Test
    void doubleFreeAndForeignPagesAreRejected() {
        PageAllocator a = new PageAllocator(2);
        int p = a.allocate().orElseThrow();
        a.free(p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.free(p));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.free(7));
        assertThrows(IllegalArgumentException.class, () -> new PageAllocator(0));
    }
}
