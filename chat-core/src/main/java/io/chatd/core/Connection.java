package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;

/**
 * One open WebSocket: a generated connection id, the authenticated user id (one user may hold several
 * connections), and the rooms it has joined. {@link #rooms} belongs to the channel's event loop.
 */
final class Connection {

    static final AttributeKey<Connection> KEY = AttributeKey.valueOf(Connection.class, "connection");

    final Channel channel;
    /** The id's 96 bits, as numbers: see {@link ConnectionIds}. */
    private final long idHigh;
    private final int idLow;
    final String user;
    /**
     * Rooms joined, in join order; null while none. A list, made at the first join: most connections are in one
     * or two rooms (--max-rooms-per-connection bounds the scans), and an idle connection's every byte counts.
     * Read and written only on {@code channel.eventLoop()}.
     */
    private ArrayList<String> rooms;
    /** The flusher of the channel's event loop. */
    final LoopFlusher flusher;
    /** The heartbeat sweep of the channel's event loop, which owns the three fields below. */
    final Heartbeats heartbeats;
    /** When the client was last heard from, on {@link Heartbeats#now()}'s clock. */
    long lastHeardNanos;
    /** Whether the current silence has been pinged already. */
    boolean pinged;
    /** This connection's index in its {@link Heartbeats}, -1 once no longer watched. */
    int heartbeatSlot = -1;
    /** Whether {@link #flusher} will flush this channel at the end of the turn; owned by the channel's loop. */
    boolean flushPending;
    /**
     * Whether the store thread has fetched this user's stored private messages for this connection; written
     * and read only on the store thread (see {@link Privates}).
     */
    volatile boolean inboxFetched;
    /** Stored private messages on their way to this connection, in pages; null until the first. Loop-owned. */
    Backlog<io.chatd.core.store.PrivateMessage> storedPrivates;

    Connection(Channel channel, String user, LoopFlusher flusher, Heartbeats heartbeats) {
        this.channel = channel;
        this.idHigh = ConnectionIds.nextHigh();
        this.idLow = ConnectionIds.nextLow();
        this.user = user;
        this.flusher = flusher;
        this.heartbeats = heartbeats;
    }

    /** The connection id, as the welcome tells it to the client (16 URL-safe characters); made at each call. */
    String id() {
        return ConnectionIds.format(idHigh, idLow);
    }

    /** The rooms joined, in join order; empty while none. Only on the channel's loop; do not keep. */
    List<String> rooms() {
        return rooms == null ? List.of() : rooms;
    }

    boolean inRoom(String room) {
        return rooms != null && rooms.contains(room);
    }

    int roomCount() {
        return rooms == null ? 0 : rooms.size();
    }

    /** Records a join; the caller checked {@link #inRoom} first. */
    void joined(String room) {
        if (rooms == null) {
            rooms = new ArrayList<>(2);
        }
        rooms.add(room);
    }

    void left(String room) {
        if (rooms != null) {
            rooms.remove(room);
        }
    }

    /** Forgets every room, once the connection left them all at its close. */
    void leftAll() {
        rooms = null;
    }

    /** The client sent a frame: its silence starts again. On the channel's loop. */
    void heard() {
        lastHeardNanos = heartbeats.now();
        pinged = false;
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
        return "Connection{" + id() + ", user=" + user + '}';
    }
}
