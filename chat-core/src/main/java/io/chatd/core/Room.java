package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One chat room. A room is owned by one event loop, and everything that changes or reads its state runs there:
 * that makes {@code seq} assignment and the order of broadcasts one sequence, so every member sees the room's
 * messages in the same order, with no lock on the broadcast path. Members are grouped by their own event loop
 * into {@link RoomShard}s, which do the writing.
 */
final class Room {

    final String name;
    final EventLoop loop;
    private final Set<Connection> members = new HashSet<>();
    private final Map<String, Integer> connectionsPerUser = new HashMap<>();
    /** One shard per event loop that has members here, keyed by that loop's flusher. */
    private final Map<LoopFlusher, RoomShard> shards = new IdentityHashMap<>();
    private long lastSeq;

    Room(String name, EventLoop loop) {
        this.name = name;
        this.loop = loop;
    }

    /** Adds a connection; returns true when it is the user's first connection in the room. */
    boolean add(Connection connection) {
        if (!members.add(connection)) {
            return false;
        }
        shards.computeIfAbsent(connection.flusher, flusher -> new RoomShard(name, flusher)).channels
                .add(connection.channel);
        return connectionsPerUser.merge(connection.user, 1, Integer::sum) == 1;
    }

    /** Removes a connection; returns true when it was the user's last connection in the room. */
    boolean remove(Connection connection) {
        if (!members.remove(connection)) {
            return false;
        }
        RoomShard shard = shards.get(connection.flusher);
        shard.channels.remove(connection.channel);
        if (shard.channels.isEmpty()) {
            shards.remove(connection.flusher);
        }
        return connectionsPerUser.merge(connection.user, -1, Integer::sum) == 0
                && connectionsPerUser.remove(connection.user) != null;
    }

    /**
     * Writes the encoded {@code frame} to every member but {@code except} (may be null), and releases it. Each
     * shard gets a duplicate of the same bytes; nothing is encoded twice.
     */
    void broadcast(ByteBuf frame, Channel except) {
        int remaining = shards.size();
        if (remaining == 0) {
            frame.release();
            return;
        }
        for (RoomShard shard : shards.values()) {
            shard.deliver(--remaining == 0 ? frame : frame.retainedDuplicate(), except);
        }
    }

    boolean contains(Connection connection) {
        return members.contains(connection);
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    long nextSeq() {
        return ++lastSeq;
    }

    Set<String> users() {
        return connectionsPerUser.keySet();
    }

    int memberCount() {
        return members.size();
    }
}
