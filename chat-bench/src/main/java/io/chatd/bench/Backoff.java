package io.chatd.bench;

import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * The web client's reconnect backoff (chat-core's {@code web/app.js}, {@code scheduleRetry}), so that a storm of
 * bench clients retries the way a crowd of browsers does: exponential with full jitter, a random delay in
 * {@code [0, min(cap, base * 2^attempt))}, the attempt count capped at 30; a connection that stayed up for
 * {@link #STABLE_NANOS} (and was not closed as a slow consumer) starts again from the base.
 *
 * <p>After a close the server advised a window for (a {@code reconnect} frame, {@code within} ms, taken up to
 * {@link #ADVISED_MAX_MILLIS}), the ceiling is the larger of the attempt's and what is left of the window, until a
 * connection opens: the first retry waits a random moment of the whole window, and one refused meanwhile (the
 * server is restarting) a random moment of the rest of it, so the refused clients do not all come back in the
 * first seconds of the new server.
 */
final class Backoff {

    static final long BASE_MILLIS = 500;
    static final long CAP_MILLIS = 15_000;
    static final int MAX_ATTEMPT = 30;
    static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The close code of a slow consumer, after which the web client keeps its backoff growing. */
    static final int SLOW_CONSUMER = 4000;
    /** The longest advised window taken, as app.js's {@code ADVISED_MAX_MS}: the server's own cap. */
    static final long ADVISED_MAX_MILLIS = 60_000;

    private Backoff() {
    }

    /** The ceiling of the delay before retry number {@code attempt} (0 for the first). */
    static long ceilingMillis(int attempt) {
        int a = Math.min(Math.max(attempt, 0), MAX_ATTEMPT);
        return a >= 15 ? CAP_MILLIS : Math.min(CAP_MILLIS, BASE_MILLIS << a);
    }

    /** A delay for retry number {@code attempt}, uniformly random below its ceiling. */
    static long delayMillis(int attempt, RandomGenerator random) {
        return (long) (random.nextDouble() * ceilingMillis(attempt));
    }

    /**
     * The delay of retry number {@code attempt}, {@code windowLeftMillis} before the end of the window the server
     * advised (0 or less: none, or over): uniformly random below the larger of the attempt's ceiling and that rest.
     */
    static long delayMillis(int attempt, long windowLeftMillis, RandomGenerator random) {
        long ceiling = Math.max(ceilingMillis(attempt), Math.min(windowLeftMillis, ADVISED_MAX_MILLIS));
        return (long) (random.nextDouble() * ceiling);
    }

    /** The attempt count after one more retry was scheduled. */
    static int next(int attempt) {
        return Math.min(attempt + 1, MAX_ATTEMPT);
    }

    /** The attempt count after an open connection closed with {@code code}, having been up {@code upNanos}. */
    static int afterClose(int attempt, int code, long upNanos) {
        return code != SLOW_CONSUMER && upNanos >= STABLE_NANOS ? 0 : attempt;
    }
}
