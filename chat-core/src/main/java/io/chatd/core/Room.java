package io.chatd.core;

import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One chat room. A room is owned by one event loop, and everything that changes or reads its state runs there:
 * that makes {@code seq} assignment and the order of writes one sequence, so every member sees the room's
 * messages in the same order, with no lock on the broadcast path.
 */
final class Room {

    final String name;
    final EventLoop loop;
    /** The broadcast target; Netty duplicates the encoded frame per member. */
    final ChannelGroup channels;
    /** Authoritative membership: the group drops a channel by itself on close, this set waits for leave(). */
    private final Set<Connection> members = new HashSet<>();
    private final Map<String, Integer> connectionsPerUser = new HashMap<>();
    private long lastSeq;

    Room(String name, EventLoop loop) {
        this.name = name;
        this.loop = loop;
        // Listeners of the group's futures run in the calling thread: we add no blocking ones.
        this.channels = new DefaultChannelGroup(name, ImmediateEventExecutor.INSTANCE);
    }

    /** Adds a connection; returns true when it is the user's first connection in the room. */
    boolean add(Connection connection) {
        if (!members.add(connection)) {
            return false;
        }
        channels.add(connection.channel);
        return connectionsPerUser.merge(connection.user, 1, Integer::sum) == 1;
    }

    /** Removes a connection; returns true when it was the user's last connection in the room. */
    boolean remove(Connection connection) {
        if (!members.remove(connection)) {
            return false;
        }
        channels.remove(connection.channel);
        return connectionsPerUser.merge(connection.user, -1, Integer::sum) == 0
                && connectionsPerUser.remove(connection.user) != null;
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
