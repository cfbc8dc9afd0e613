package io.chatd.bench;

/**
 * An open-loop send schedule: message {@code k} (from 0) is due at {@code start + k / rate}, whatever happened to
 * the messages before it. A generator that falls behind sends everything already due, so the offered rate never
 * drops silently; how late it got is the lag.
 */
final class Schedule {

    private final long startNanos;
    private final double nanosPerMessage;

    /**
     * @param rate       messages per second, above 0
     * @param startNanos {@link System#nanoTime()} at which message 0 is due
     */
    Schedule(double rate, long startNanos) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be above 0: " + rate);
        }
        this.startNanos = startNanos;
        this.nanosPerMessage = 1e9 / rate;
    }

    /** When message {@code k} is due. */
    long dueNanos(long k) {
        return startNanos + (long) (k * nanosPerMessage);
    }

    /**
     * How many messages are due at {@code now}: the smallest {@code k} whose due time is after {@code now}.
     * Consistent with {@link #dueNanos} to the nanosecond, whatever the rounding of the estimate.
     */
    long dueCount(long now) {
        if (now - startNanos < 0) {
            return 0;
        }
        long k = (long) ((now - startNanos) / nanosPerMessage) + 1;
        while (k > 0 && dueNanos(k - 1) - now > 0) {
            k--;
        }
        while (dueNanos(k) - now <= 0) {
            k++;
        }
        return k;
    }

    /** The number of messages due before {@code endNanos}: the whole schedule of a run ending then. */
    long countBefore(long endNanos) {
        return dueCount(endNanos - 1);
    }
}
