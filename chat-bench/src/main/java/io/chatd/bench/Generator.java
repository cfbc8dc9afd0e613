package io.chatd.bench;

import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends the bench messages on the event loop, open loop: each tick sends every message of the {@link Schedule}
 * that is due, however many that is, writing without flushing, then flushes each sender that wrote once. It
 * then sleeps until the next message is due, but at least {@link #MIN_TICK_NANOS}, so at high rates one wake-up
 * carries many messages.
 */
final class Generator implements Runnable {

    /** Shortest sleep between ticks: batches sends at high rates, adds at most this much to the lag. */
    static final long MIN_TICK_NANOS = 200_000;

    private final EventLoop loop;
    private final Connections connections;
    private final Topology topology;
    private final Schedule schedule;
    private final long total;
    private final Measurement measurement;
    private final CompletableFuture<Long> done = new CompletableFuture<>();
    /** Senders written to in this tick; a connection sits here at most once thanks to {@link #dirtyMark}. */
    private final LoadConnection[] dirty;
    private final boolean[] dirtyMark;
    private long next;
    private long sentTotal;
    /** Set by the main thread when the schedule overran the drain timeout. */
    private volatile boolean stopped;

    /**
     * @param endNanos no message due at or after this is sent
     */
    Generator(EventLoop loop, Connections connections, Schedule schedule, long endNanos, Measurement measurement) {
        this.loop = loop;
        this.connections = connections;
        this.topology = connections.context.topology;
        this.schedule = schedule;
        this.total = schedule.countBefore(endNanos);
        this.measurement = measurement;
        this.dirty = new LoadConnection[topology.senders];
        this.dirtyMark = new boolean[topology.connections];
    }

    /** Starts ticking; completes with the number of messages sent (warm-up included) once the schedule is done. */
    CompletableFuture<Long> start() {
        loop.execute(this);
        return done;
    }

    /** Stops at the next tick, whatever is still due. */
    void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        if (stopped) {
            done.complete(sentTotal);
            return;
        }
        long now = System.nanoTime();
        long due = Math.min(schedule.dueCount(now), total);
        int dirtyCount = 0;
        for (; next < due; next++) {
            LoadConnection sender = connections.all[topology.senderOf(next)];
            // One clock read per tick: t is when this batch goes out, the lag how late the message is.
            if (sender.sendBenchMessage(now)) {
                sentTotal++;
                measurement.onSent(now, topology.recipients(sender.index), now - schedule.dueNanos(next));
                if (!dirtyMark[sender.index]) {
                    dirtyMark[sender.index] = true;
                    dirty[dirtyCount++] = sender;
                }
            } else {
                measurement.onUnsent(now);
            }
        }
        for (int i = 0; i < dirtyCount; i++) {
            dirty[i].flush();
            dirtyMark[dirty[i].index] = false;
        }
        if (next >= total) {
            done.complete(sentTotal);
            return;
        }
        long sleep = Math.max(MIN_TICK_NANOS, schedule.dueNanos(next) - System.nanoTime());
        loop.schedule(this, sleep, TimeUnit.NANOSECONDS);
    }
}
