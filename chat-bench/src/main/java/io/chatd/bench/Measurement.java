package io.chatd.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The counters of one measured window. A message belongs to the window when its send time {@code t} does, on
 * both sides: the generator counts it as sent and expected, every receiver counts its delivery, so warm-up
 * traffic and late stragglers of an earlier step never blur a figure. Written only on the event loop; the main
 * thread reads it after the loop has swapped in the next one.
 */
final class Measurement {

    /** Latencies above this are recorded as this; a minute means the server has long fallen over anyway. */
    private static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(1);

    final long windowStart;
    final long windowEnd;

    long sent;
    long expected;
    /** Messages due while their sender's connection was already closed. */
    long unsent;
    long maxLagNanos;

    long received;
    long duplicates;
    long outOfOrder;
    /** Message frames that were not ours or came from a sender the receiver cannot hear: a bench bug. */
    long foreign;
    final Histogram latencyMicros = new Histogram(MAX_LATENCY_MICROS, 3);

    /** Close codes received from the server; "none": the TCP connection ended without a close frame. */
    final Map<String, Integer> closes = new TreeMap<>();
    long serverErrors;
    String firstServerError;
    long protocolErrors;

    /** A window of {@code [windowStart, windowEnd)} in {@link System#nanoTime()}. */
    Measurement(long windowStart, long windowEnd) {
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
    }

    /** A measurement that counts only events (closes, errors), for the set-up and hold phases. */
    static Measurement eventsOnly() {
        long now = System.nanoTime();
        return new Measurement(now, now);
    }

    boolean inWindow(long t) {
        return t - windowStart >= 0 && t - windowEnd < 0;
    }

    void onSent(long t, int recipients, long lagNanos) {
        if (inWindow(t)) {
            sent++;
            expected += recipients;
            maxLagNanos = Math.max(maxLagNanos, lagNanos);
        }
    }

    void onUnsent(long t) {
        if (inWindow(t)) {
            unsent++;
        }
    }

    /**
     * One message delivered at {@code now}, sent at {@code t}. {@code duplicate}: its number was not above the
     * highest already seen from its sender; {@code gap}: it skipped numbers.
     */
    void onDelivery(long t, long now, boolean duplicate, boolean gap) {
        if (!inWindow(t)) {
            return;
        }
        received++;
        if (duplicate) {
            duplicates++;
        }
        if (gap) {
            outOfOrder++;
        }
        long micros = Math.max(0, (now - t) / 1000);
        latencyMicros.recordValue(Math.min(micros, MAX_LATENCY_MICROS));
    }

    /** A ready connection closed: {@code code} from the server's close frame, or -1 without one. */
    void onClose(int code) {
        closes.merge(code < 0 ? "none" : Integer.toString(code), 1, Integer::sum);
    }

    void onServerError(String text) {
        serverErrors++;
        if (firstServerError == null) {
            firstServerError = text;
        }
    }

    /** Deliveries that count against loss: each message once per receiver. */
    long receivedUnique() {
        return received - duplicates;
    }
}
