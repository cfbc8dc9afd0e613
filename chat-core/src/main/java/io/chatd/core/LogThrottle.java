package io.chatd.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a log line through at most once per interval and counts the ones held back, for lines a client can
 * trigger at will (a refused connection in a storm) that must not flood the log. Thread-safe.
 */
final class LogThrottle {

    private final long intervalNanos;
    private final int linesPerInterval;
    private final AtomicLong nextNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressed = new AtomicLong();
    /** Lines let through in the current interval, when more than one may pass per interval. */
    private int passed;

    LogThrottle(long interval, TimeUnit unit) {
        this(1, interval, unit);
    }

    /** At most {@code linesPerInterval} lines per interval (counted from the first of them). */
    LogThrottle(int linesPerInterval, long interval, TimeUnit unit) {
        this.intervalNanos = unit.toNanos(interval);
        this.linesPerInterval = linesPerInterval;
    }

    /**
     * Returns -1 when the line must be held back, otherwise the number held back since the last one let through
     * (0 or more), which the line should mention.
     */
    long tryAcquire() {
        if (linesPerInterval > 1) {
            return tryAcquireOfMany();
        }
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos)) {
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }

    private synchronized long tryAcquireOfMany() {
        long now = System.nanoTime();
        if (now - nextNanos.get() >= 0) { // a new interval
            nextNanos.set(now + intervalNanos);
            passed = 0;
        }
        if (passed < linesPerInterval) {
            passed++;
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }
}
