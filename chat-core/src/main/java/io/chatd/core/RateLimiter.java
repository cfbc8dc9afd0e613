package io.chatd.core;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A token bucket for one connection's requests ({@link ChatConfig#rateLimit()}, {@link ChatConfig#rateBurst()}),
 * and the flood rule on top of it: a connection refused {@link #floodRefusals()} times within
 * {@link #FLOOD_WINDOW_NANOS} ignored its {@code rate_limited} errors and is closed with
 * {@link CloseCodes#FLOODING}. Not thread-safe: it lives on the connection's event loop.
 */
final class RateLimiter {

    enum Verdict { ALLOW, REFUSE, FLOOD }

    static final long FLOOD_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final double tokensPerNano;
    private final double capacity;
    private final int floodRefusals;
    private final LongSupplier nanoClock;
    private double tokens;
    private long refilledAt;
    private int refusals;
    private long windowStart;

    RateLimiter(double perSecond, int burst, LongSupplier nanoClock) {
        this.tokensPerNano = perSecond / TimeUnit.SECONDS.toNanos(1);
        this.capacity = burst;
        // Twice the burst, and never fewer than 20: a client that honours the errors never gets near it.
        this.floodRefusals = Math.max(20, 2 * burst);
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.refilledAt = nanoClock.getAsLong();
    }

    RateLimiter(double perSecond, int burst) {
        this(perSecond, burst, System::nanoTime);
    }

    Verdict acquire() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(capacity, tokens + (now - refilledAt) * tokensPerNano);
        refilledAt = now;
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.ALLOW;
        }
        if (refusals == 0 || now - windowStart > FLOOD_WINDOW_NANOS) {
            windowStart = now;
            refusals = 0;
        }
        return ++refusals >= floodRefusals ? Verdict.FLOOD : Verdict.REFUSE;
    }

    int floodRefusals() {
        return floodRefusals;
    }
}
