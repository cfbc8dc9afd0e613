package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bench's backoff is the web client's: app.js scheduleRetry and its STABLE_MS reset. */
class BackoffTest {

    @Test
    void ceilingDoublesFromHalfASecondUpToFifteenSeconds() {
        long[] expected = {500, 1000, 2000, 4000, 8000, 15_000, 15_000};
        for (int attempt = 0; attempt < expected.length; attempt++) {
            assertEquals(expected[attempt], Backoff.ceilingMillis(attempt), "attempt " + attempt);
        }
        assertEquals(15_000, Backoff.ceilingMillis(30));
        assertEquals(15_000, Backoff.ceilingMillis(Integer.MAX_VALUE));
    }

    @Test
    void delayIsJitteredOverTheWholeRangeBelowTheCeiling() {
        SplittableRandom random = new SplittableRandom(11);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = Backoff.delayMillis(2, random);
            assertTrue(d >= 0 && d < 2000, "delay " + d);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertTrue(min < 100 && max > 1900, "full jitter: from near 0 to near the ceiling, got " + min + ".." + max);
    }

    @Test
    void theFirstRetryAfterAnAdvisedCloseIsJitteredOverTheWholeWindowNotTheFirstCeiling() {
        SplittableRandom random = new SplittableRandom(7);
        long max = largestDelay(0, 9_000, 9_000, random);
        assertTrue(max > 8_500, "the whole window, far past the first ceiling of 500 ms: up to " + max);
        // Without advice (none, or over: 0 or less) the attempt's ceiling rules.
        largestDelay(0, -1, 500, random);
        largestDelay(3, 0, 4000, random);
        // A window past the server's own cap is taken as a minute, like app.js's ADVISED_MAX_MS.
        largestDelay(0, Long.MAX_VALUE, 60_000, random);
    }

    @Test
    void aRetryRefusedWithinTheAdvisedWindowWaitsAMomentOfItsRestNotTheShortBackoff() {
        SplittableRandom random = new SplittableRandom(5);
        // The second attempt, 15 s of the window left: anywhere in those 15 s, not within the 1 s ceiling.
        long max = largestDelay(1, 15_000, 15_000, random);
        assertTrue(max > 14_000, "over the whole rest of the window: up to " + max);
        // Near the window's end the attempt's own ceiling rules again.
        largestDelay(4, 300, 8000, random);
    }

    /** The largest of 10,000 delays of retry {@code attempt}, each checked to be in [0, {@code ceiling}). */
    private static long largestDelay(int attempt, long windowLeftMillis, long ceiling, SplittableRandom random) {
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = Backoff.delayMillis(attempt, windowLeftMillis, random);
            assertTrue(d >= 0 && d < ceiling, "delay " + d + " of attempt " + attempt + " below " + ceiling);
            max = Math.max(max, d);
        }
        return max;
    }

    @Test
    void attemptsGrowUpToThirty() {
        assertEquals(1, Backoff.next(0));
        assertEquals(30, Backoff.next(29));
        assertEquals(30, Backoff.next(30));
    }

    @Test
    void onlyAStableConnectionThatWasNotASlowConsumerStartsTheBackoffAgain() {
        long stable = TimeUnit.SECONDS.toNanos(10);
        assertEquals(0, Backoff.afterClose(4, 1001, stable));
        assertEquals(4, Backoff.afterClose(4, 1001, stable - 1));
        assertEquals(4, Backoff.afterClose(4, Backoff.SLOW_CONSUMER, stable * 2));
    }
}
