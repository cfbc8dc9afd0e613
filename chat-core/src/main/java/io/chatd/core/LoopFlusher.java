package io.chatd.core;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadIoEventLoop;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Flushes, in one pass, every connection and room shard of one event loop written to since the last pass. Frames
 * are written at once but reach the sockets together, so one {@code writev} carries every frame a member got in
 * between, instead of the server paying one syscall per delivery.
 *
 * <p>A pass runs at the end of the loop turn in which the first frame was written, but never sooner than
 * {@link ChatConfig#flushInterval()} after the previous pass: a quiet loop flushes at once, a busy one at that
 * rate, each pass carrying more frames as the load grows.
 *
 * <p>One instance per event loop, used only on that loop's thread.
 */
final class LoopFlusher {

    private final EventLoop loop;
    /**
     * The loop, when it runs end-of-turn tasks (Netty's I/O loops do). Other loops, such as the
     * {@code DefaultEventLoop} of local channels or an {@code EmbeddedEventLoop}, get the pass as a plain task.
     */
    private final SingleThreadIoEventLoop turnAware;
    private final long intervalNanos;
    private final ArrayList<Connection> pendingConnections = new ArrayList<>();
    private final ArrayList<RoomShard> pendingShards = new ArrayList<>();
    private final Runnable flushAll = this::flushAll;
    private boolean scheduled;
    private long lastPassNanos;

    LoopFlusher(EventLoop loop, long intervalNanos) {
        this.loop = loop;
        this.turnAware = loop instanceof SingleThreadIoEventLoop ? (SingleThreadIoEventLoop) loop : null;
        this.intervalNanos = intervalNanos;
        this.lastPassNanos = System.nanoTime() - intervalNanos;
    }

    EventLoop loop() {
        return loop;
    }

    /** Flushes the connection in the next pass; call after writing to it, on its loop. */
    void flushLater(Connection connection) {
        if (!connection.flushPending) {
            connection.flushPending = true;
            pendingConnections.add(connection);
            schedule();
        }
    }

    /** Flushes every channel of the shard in the next pass; call after writing to it, on its loop. */
    void flushLater(RoomShard shard) {
        if (!shard.flushPending) {
            shard.flushPending = true;
            pendingShards.add(shard);
            schedule();
        }
    }

    private void schedule() {
        if (scheduled) {
            return;
        }
        scheduled = true;
        long wait = lastPassNanos + intervalNanos - System.nanoTime();
        if (wait > 0) {
            loop.schedule(flushAll, wait, TimeUnit.NANOSECONDS);
        } else if (turnAware != null) {
            turnAware.executeAfterEventLoopIteration(flushAll);
        } else {
            loop.execute(flushAll);
        }
    }

    private void flushAll() {
        scheduled = false;
        lastPassNanos = System.nanoTime();
        // Indexed loops: a flush can run handlers that ask for more flushes; they are taken in this same pass.
        for (int i = 0; i < pendingShards.size(); i++) {
            RoomShard shard = pendingShards.get(i);
            shard.flushPending = false;
            shard.channels.flush();
        }
        pendingShards.clear();
        for (int i = 0; i < pendingConnections.size(); i++) {
            Connection connection = pendingConnections.get(i);
            connection.flushPending = false;
            connection.channel.flush();
        }
        pendingConnections.clear();
    }
}
