package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The token bucket and the flood rule on a fake clock. */
class RateLimiterTest {

    private long now = 1_000_000_000L;

    @Test
    void burstIsAllowedThenTheRateRefills() {
        RateLimiter limiter = new RateLimiter(10, 3, () -> now);
        for (int i = 0; i < 3; i++) {
            assertEquals(RateLimiter.Verdict.ALLOW, limiter.acquire());
        }
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.acquire());
        now += TimeUnit.MILLISECONDS.toNanos(100); // one token at 10/s
        assertEquals(RateLimiter.Verdict.ALLOW, limiter.acquire());
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.acquire());
        now += TimeUnit.SECONDS.toNanos(60); // refills up to the burst, not beyond
        for (int i = 0; i < 3; i++) {
            assertEquals(RateLimiter.Verdict.ALLOW, limiter.acquire());
        }
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.acquire());
    }

    @Test
    void refusalsPastTheThresholdWithinTheWindowAreAFlood() {
        RateLimiter limiter = new RateLimiter(1, 1, () -> now);
        assertEquals(RateLimiter.Verdict.ALLOW, limiter.acquire());
        for (int i = 1; i < limiter.floodRefusals(); i++) {
            assertEquals(RateLimiter.Verdict.REFUSE, limiter.acquire(), "refusal " + i);
        }
        assertEquals(RateLimiter.Verdict.FLOOD, limiter.acquire());
    }

    @Test
    void refusalsSpreadOverMoreThanTheWindowAreNotAFlood() {
        RateLimiter limiter = new RateLimiter(1, 1, () -> now);
        for (int round = 0; round < 5; round++) {
            assertEquals(RateLimiter.Verdict.ALLOW, limiter.acquire());
            for (int i = 0; i < limiter.floodRefusals() / 2; i++) {
                assertEquals(RateLimiter.Verdict.REFUSE, limiter.acquire());
            }
            now += RateLimiter.FLOOD_WINDOW_NANOS + 1;
        }
    }
}
