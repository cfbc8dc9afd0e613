package io.chatd.core;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import java.util.ArrayList;

/**
 * Flushes, once at the end of an event-loop turn, every connection and room shard written to during the turn.
 * A frame is written at once but reaches the socket with the turn's other frames, so one {@code writev} carries
 * every message a member got in that turn: under load, turns grow and each syscall carries more frames, instead
 * of the server paying one syscall per delivery.
 *
 * <p>One instance per event loop, used only on that loop's thread.
 */
final class LoopFlusher {

    private final EventLoop loop;
    /** Null when the loop has no end-of-turn hook (e.g. an {@code EmbeddedEventLoop}): writes flush at once. */
    private final SingleThreadEventLoop turnAware;
    private final ArrayList<Connection> pendingConnections = new ArrayList<>();
    private final ArrayList<RoomShard> pendingShards = new ArrayList<>();
    private final Runnable flushAll = this::flushAll;
    private boolean scheduled;

    LoopFlusher(EventLoop loop) {
        this.loop = loop;
        this.turnAware = loop instanceof SingleThreadEventLoop ? (SingleThreadEventLoop) loop : null;
    }

    EventLoop loop() {
        return loop;
    }

    /** Flushes the connection at the end of this turn; call after writing to it, on its loop. */
    void flushLater(Connection connection) {
        if (turnAware == null) {
            connection.channel.flush();
        } else if (!connection.flushPending) {
            connection.flushPending = true;
            pendingConnections.add(connection);
            schedule();
        }
    }

    /** Flushes every channel of the shard at the end of this turn; call after writing to it, on its loop. */
    void flushLater(RoomShard shard) {
        if (turnAware == null) {
            shard.channels.flush();
        } else if (!shard.flushPending) {
            shard.flushPending = true;
            pendingShards.add(shard);
            schedule();
        }
    }

    private void schedule() {
        if (!scheduled) {
            scheduled = true;
            turnAware.executeAfterEventLoopIteration(flushAll);
        }
    }

    private void flushAll() {
        scheduled = false;
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
