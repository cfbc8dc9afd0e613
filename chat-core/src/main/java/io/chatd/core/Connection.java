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
    final Set<String> rooms = new LinkedHashSet<>();

    Connection(Channel channel, String id, String user) {
        this.channel = channel;
        this.id = id;
        this.user = user;
    }

    /** Queues one encoded frame; safe from any thread. Flushes are coalesced by the pipeline. */
    void send(ByteBuf frame) {
        channel.writeAndFlush(frame, channel.voidPromise());
    }

    @Override
    public String toString() {
        return "Connection{" + id + ", user=" + user + '}';
    }
}
