package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One chat room. A room is owned by one event loop, and everything that changes or reads its state runs there:
 * that makes {@code seq} assignment and the order of broadcasts one sequence, so every member sees the room's
 * messages in the same order, with no lock on the broadcast path. Members are grouped by their own event loop
 * into {@link RoomShard}s, which do the writing.
 *
 * <p>A member that resumes ({@code join} with {@code since}) is not in a shard until its replay is written: what
 * the room broadcasts meanwhile is kept for it in a {@link Replay} and written after the replay, so it sees
 * every message once and in order.
 */
final class Room {

    final String name;
    final EventLoop loop;
    private final Set<Connection> members = new HashSet<>();
    /** Sorted, so that {@code who} pages through a room of any size without sorting it. */
    private final TreeMap<String, Integer> connectionsPerUser = new TreeMap<>();
    /** Presence changes not yet announced to the members (see {@link Presence}); null until the first. */
    Presence.Pending presence;
    /** With a cluster: how this room follows the cluster's numbering (see {@link ClusterRooms}); else null. */
    ClusterRooms.Feed feed;
    /** With a cluster: the room's users on every node, as of the last presence change; else -1 (see {@link #userCount}). */
    int clusterUserCount = -1;
    /** One shard per event loop that has members here, keyed by that loop's flusher. */
    private final Map<LoopFlusher, RoomShard> shards = new IdentityHashMap<>();
    /**
     * The room's last seq when each member started receiving broadcasts directly: it receives every message
     * after that seq live, and none before.
     */
    private final Map<Connection, Long> liveSince = new IdentityHashMap<>();
    /** Members waiting for their replay; usually empty, so broadcasting checks it once and moves on. */
    private final Map<Connection, Replay> replays = new IdentityHashMap<>();
    private long lastSeq;

    /** What a resuming member missed while its replay was being read: frames broadcast since, in order. */
    static final class Replay {
        /** The room's last seq when the resume started: the replay covers up to it, the frames follow it. */
        final long upTo;
        /** Whether the resuming connection is its user's first in the room. */
        final boolean firstOfUser;
        final List<ByteBuf> frames = new ArrayList<>();
        /** The seq of each frame, or -1 for presence notices. */
        final List<Long> seqs = new ArrayList<>();
        /** Bytes held in {@link #frames}; past {@link #maxHeldBytes} holding stops (see {@link #overflowed}). */
        private long heldBytes;
        private final long maxHeldBytes;
        /**
         * Set when more was broadcast during the store read than may be held: the frames are dropped and the
         * resume ends with {@code recovered:false}, telling the client to refresh, instead of holding without bound
         * outside the outbound cap.
         */
        boolean overflowed;

        Replay(long upTo, boolean firstOfUser, long maxHeldBytes) {
            this.upTo = upTo;
            this.firstOfUser = firstOfUser;
            this.maxHeldBytes = maxHeldBytes;
        }

        void hold(ByteBuf frame, long seq) {
            if (overflowed) {
                frame.release();
                return;
            }
            heldBytes += frame.readableBytes();
            frames.add(frame);
            seqs.add(seq);
            if (heldBytes > maxHeldBytes) {
                overflowed = true;
                release();
            }
        }

        void release() {
            for (ByteBuf frame : frames) {
                frame.release();
            }
            frames.clear();
            seqs.clear();
        }
    }

    /** {@code lastSeq}: the last seq this room's name ever assigned, so numbering never restarts. */
    Room(String name, EventLoop loop, long lastSeq) {
        this.name = name;
        this.loop = loop;
        this.lastSeq = lastSeq;
    }

    /** Adds a connection that receives broadcasts at once; returns true when it is the user's first connection. */
    boolean add(Connection connection) {
        if (!members.add(connection)) {
            return false;
        }
        goLive(connection);
        return connectionsPerUser.merge(connection.user, 1, Integer::sum) == 1;
    }

    /**
     * Makes a connection a member whose broadcasts are held back until {@link #finishReplay}. Returns null when
     * it already is a member (nothing changes), otherwise its replay.
     */
    Replay addResuming(Connection connection, long maxHeldBytes) {
        if (!members.add(connection)) {
            return null;
        }
        Replay replay = new Replay(lastSeq, connectionsPerUser.merge(connection.user, 1, Integer::sum) == 1,
                maxHeldBytes);
        replays.put(connection, replay);
        return replay;
    }

    /** The pending replay of the connection, or null when it has none (it left, or resumed again). */
    Replay replayOf(Connection connection) {
        return replays.get(connection);
    }

    /** Ends a replay: the connection receives broadcasts directly from now on. */
    void finishReplay(Connection connection, Replay replay) {
        if (replays.remove(connection, replay)) {
            goLive(connection);
        }
    }

    /** The seq after which the member receives messages live, or -1 when it is not a live member. */
    long liveSince(Connection connection) {
        return liveSince.getOrDefault(connection, -1L);
    }

    private void goLive(Connection connection) {
        liveSince.put(connection, lastSeq);
        shards.computeIfAbsent(connection.flusher, flusher -> new RoomShard(name, flusher)).add(connection.channel);
    }

    private void leaveShard(Connection connection) {
        RoomShard shard = shards.get(connection.flusher);
        if (shard != null) {
            shard.remove(connection.channel);
            if (shard.memberCount == 0) {
                shards.remove(connection.flusher);
            }
        }
    }

    /** Removes a connection; returns true when it was the user's last connection in the room. */
    boolean remove(Connection connection) {
        if (!members.remove(connection)) {
            return false;
        }
        Replay replay = replays.remove(connection);
        if (replay != null) {
            replay.release(); // it was in no shard yet
        } else {
            liveSince.remove(connection);
            leaveShard(connection);
        }
        return connectionsPerUser.merge(connection.user, -1, Integer::sum) == 0
                && connectionsPerUser.remove(connection.user) != null;
    }

    /**
     * Writes the encoded {@code frame} to every member but {@code except} (may be null), and releases it. Each
     * shard gets a duplicate of the same bytes; nothing is encoded twice. {@code seq} is the message's seq, or
     * -1 for a presence notice.
     */
    void broadcast(ByteBuf frame, Channel except, long seq) {
        if (!replays.isEmpty()) {
            holdForReplays(frame, except, seq);
        }
        int remaining = shards.size();
        if (remaining == 0) {
            frame.release();
            return;
        }
        for (RoomShard shard : shards.values()) {
            shard.deliver(--remaining == 0 ? frame : frame.retainedDuplicate(), except);
        }
    }

    private void holdForReplays(ByteBuf frame, Channel except, long seq) {
        for (Map.Entry<Connection, Replay> e : replays.entrySet()) {
            if (e.getKey().channel != except) {
                e.getValue().hold(frame.retainedDuplicate(), seq);
            }
        }
    }

    boolean contains(Connection connection) {
        return members.contains(connection);
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    long lastSeq() {
        return lastSeq;
    }

    /** Records that {@code seq} (the next one) was assigned. */
    void assigned(long seq) {
        lastSeq = seq;
    }

    /** Up to {@code limit} users in the room whose names sort after {@code after} (null: from the first). */
    List<String> usersAfter(String after, int limit) {
        List<String> page = new ArrayList<>(Math.min(limit, connectionsPerUser.size()));
        for (String user : after == null ? connectionsPerUser.keySet()
                : connectionsPerUser.tailMap(after, false).keySet()) {
            if (page.size() == limit) {
                break;
            }
            page.add(user);
        }
        return page;
    }

    /** Users with at least one connection in the room. */
    int userCount() {
        return connectionsPerUser.size();
    }

    int memberCount() {
        return members.size();
    }
}
