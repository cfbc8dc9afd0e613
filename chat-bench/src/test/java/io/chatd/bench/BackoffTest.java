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
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = Backoff.delayMillis(0, 9_000, random);
            assertTrue(d >= 0 && d < 9_000, "delay " + d);
            max = Math.max(max, d);
            // Without advice (none, or over: 0 or less) the attempt's ceiling rules.
            assertTrue(Backoff.delayMillis(0, -1, random) < 500);
            assertTrue(Backoff.delayMillis(3, 0, random) < 4000);
            // A window past the server's own cap is taken as a minute, like app.js's ADVISED_MAX_MS.
            assertTrue(Backoff.delayMillis(0, Long.MAX_VALUE, random) < 60_000);
        }
        assertTrue(max > 8_500, "the whole window, far past the first ceiling of 500 ms: up to " + max);
    }

    @Test
    void aRetryRefusedWithinTheAdvisedWindowWaitsAMomentOfItsRestNotTheShortBackoff() {
        SplittableRandom random = new SplittableRandom(5);
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            // The second attempt, 15 s of the window left: anywhere in those 15 s, not within the 1 s ceiling.
            long d = Backoff.delayMillis(1, 15_000, random);
            assertTrue(d >= 0 && d < 15_000, "delay " + d);
            max = Math.max(max, d);
            // Near the window's end the attempt's own ceiling rules again.
            assertTrue(Backoff.delayMillis(4, 300, random) < 8000);
        }
        assertTrue(max > 14_000, "over the whole rest of the window: up to " + max);
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
