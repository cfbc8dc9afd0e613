package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One open WebSocket: a generated connection id, the authenticated user id (one user may hold several
 * connections), and the rooms it has joined. {@link #rooms} belongs to the channel's event loop.
 */
final class Connection {

    static final AttributeKey<Connection> KEY = AttributeKey.valueOf(Connection.class, "connection");

    final Channel channel;
    final String id;
    final String user;
    /** Rooms joined, in join order. Read and written only on {@code channel.eventLoop()}. */
    final Set<String> rooms = new LinkedHashSet<>(4); // most connections are in one or two rooms: a small table
    /** The flusher of the channel's event loop. */
    final LoopFlusher flusher;
    /** Whether {@link #flusher} will flush this channel at the end of the turn; owned by the channel's loop. */
    boolean flushPending;
    /**
     * Whether the store thread has fetched this user's stored private messages for this connection; written
     * and read only on the store thread (see {@link Privates}).
     */
    volatile boolean inboxFetched;
    /** Stored private messages on their way to this connection, in pages; null until the first. Loop-owned. */
    Backlog<io.chatd.core.store.PrivateMessage> storedPrivates;

    Connection(Channel channel, String id, String user, LoopFlusher flusher) {
        this.channel = channel;
        this.id = id;
        this.user = user;
        this.flusher = flusher;
    }

    /** Queues one encoded frame, flushed at the end of the loop turn; safe from any thread. */
    void send(ByteBuf frame) {
        if (channel.eventLoop().inEventLoop()) {
            sendOnLoop(frame);
        } else if (!EventLoops.offer(channel.eventLoop(), () -> sendOnLoop(frame))) {
            frame.release();
        }
    }

    private void sendOnLoop(ByteBuf frame) {
        channel.write(frame, channel.voidPromise());
        flusher.flushLater(this);
    }

    @Override
    public String toString() {
        return "Connection{" + id + ", user=" + user + '}';
    }
}
