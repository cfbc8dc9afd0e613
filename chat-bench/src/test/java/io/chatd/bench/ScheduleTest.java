package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ScheduleTest {

    @Test
    void messageKIsDueAtStartPlusKOverRate() {
        Schedule s = new Schedule(500, 1_000_000_000L);
        assertEquals(1_000_000_000L, s.dueNanos(0));
        assertEquals(1_002_000_000L, s.dueNanos(1));
        assertEquals(3_000_000_000L, s.dueNanos(1000));
    }

    @Test
    void countsWhatIsDueAtEveryInstant() {
        long start = 5_000;
        Schedule s = new Schedule(3, start); // 333,333,333.33 ns apart: exercises the rounding
        assertEquals(0, s.dueCount(start - 1));
        assertEquals(1, s.dueCount(start));
        for (long k = 1; k < 100; k++) {
            long due = s.dueNanos(k);
            assertEquals(k, s.dueCount(due - 1), "just before message " + k);
            assertEquals(k + 1, s.dueCount(due), "at message " + k);
        }
    }

    @Test
    void aLateGeneratorFindsEverythingDueSoItCatchesUp() {
        Schedule s = new Schedule(1000, 0);
        // Asleep for a whole second after sending message 0: 1000 messages are due at once, none dropped.
        assertEquals(1001, s.dueCount(1_000_000_000L));
        long lag = 1_000_000_000L - s.dueNanos(1);
        assertEquals(999_000_000L, lag);
    }

    @Test
    void aRunOfDurationDHasRateTimesDMessages() {
        Schedule s = new Schedule(200, 123_456_789L);
        assertEquals(2000, s.countBefore(123_456_789L + 10_000_000_000L));
        Schedule odd = new Schedule(7.5, 0);
        assertEquals(75, odd.countBefore(10_000_000_000L));
    }

    @Test
    void refusesAZeroRate() {
        assertThrows(IllegalArgumentException.class, () -> new Schedule(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Schedule(Double.NaN, 0));
    }
}
