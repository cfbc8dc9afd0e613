package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tells a room's members who comes and goes, at a cost that stays linear in the room's size.
 *
 * <p>A notice per join to every member costs n²/2 frames for n users arriving, which is what a restart of a busy
 * server makes them do at once. So only rooms of up to {@code noticesMax} users get a {@code join} or
 * {@code leave} notice per change. In larger rooms the changes are gathered and sent as one {@code presence}
 * frame per room and {@code interval}, with the user count; up to {@code namesMax} users it also names who joined
 * and left, past that it carries only the count, and comes less often as the room grows (see
 * {@link #countOnlyIntervalNanos}). The joining connection always gets its own {@code join} notice, as the answer
 * to its {@code join}.
 *
 * <p>Everything here runs on the room's event loop, like every other change to the room.
 */
final class Presence {

    /** The longest a count-only room waits between frames, however large it grows. */
    static final long MAX_COUNT_ONLY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final int noticesMax;
    private final int namesMax;
    private final long intervalNanos;
    private final ChatStats stats;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    Presence(int noticesMax, int namesMax, long intervalNanos, ChatStats stats) {
        this.noticesMax = noticesMax;
        this.namesMax = namesMax;
        this.intervalNanos = intervalNanos;
        this.stats = stats;
    }

    /** Changes of one room not yet announced; owned by the room's loop. */
    static final class Pending {
        final LinkedHashSet<String> joined = new LinkedHashSet<>();
        final LinkedHashSet<String> left = new LinkedHashSet<>();
        /** The user count the members were last told; -1 before the first frame. */
        int announcedCount = -1;
        /** When the last frame was sent ({@link System#nanoTime}); meaningful once {@link #announcedCount} is set. */
        long announcedNanos;
        boolean scheduled;
    }

    /**
     * {@code connection} was added to the room; {@code firstOfUser} when its user was not in it before. A
     * {@code resuming} connection is in no shard yet, so it is sent its notice directly, before anything else.
     */
    void joined(Room room, Connection connection, boolean firstOfUser, boolean resuming, long ts) {
        ByteBuf notice = ServerMessages.presence(alloc, "join", room.name, connection.user, ts);
        if (!firstOfUser) {
            send(connection, notice);
        } else if (room.userCount() <= noticesMax) {
            announceNow(room, room.userCount() - 1); // as it was before this join, which the notice tells
            if (resuming) {
                broadcast(room, notice.retainedDuplicate(), connection);
                send(connection, notice);
            } else {
                broadcast(room, notice, null);
            }
        } else {
            pend(room, connection.user, true);
            send(connection, notice);
        }
    }

    /**
     * {@code connection} was removed from the room; {@code lastOfUser} when its user has no connection left in it.
     * With {@code notifyLeaver} the connection is sent its own {@code leave} notice (the answer to its
     * {@code leave}).
     */
    void left(Room room, Connection connection, boolean lastOfUser, boolean notifyLeaver, long ts) {
        if (!lastOfUser && !notifyLeaver) {
            return;
        }
        ByteBuf notice = ServerMessages.presence(alloc, "leave", room.name, connection.user, ts);
        if (notifyLeaver) {
            send(connection, notice.retainedDuplicate());
        }
        // The size before the leave decides, as the size after a join does: a room at the bound keeps one mode.
        if (lastOfUser && room.userCount() + 1 <= noticesMax) {
            announceNow(room, room.userCount() + 1); // as it was before this leave, which the notice tells
            broadcast(room, notice, null);
            return;
        }
        notice.release();
        if (lastOfUser) {
            pend(room, connection.user, false);
        }
    }

    /**
     * With a cluster, the joining connection's own notice, the answer to its {@code join}: the room hears of the user
     * from the cluster ({@link #announce}), which counts users across every node.
     */
    void joinedHere(Connection connection, Room room, long ts) {
        send(connection, ServerMessages.presence(alloc, "join", room.name, connection.user, ts));
    }

    /** With a cluster, the leaving connection's own notice, the answer to its {@code leave}. */
    void leftHere(Connection connection, Room room, long ts) {
        send(connection, ServerMessages.presence(alloc, "leave", room.name, connection.user, ts));
    }

    /**
     * With a cluster: {@code user} came into the room (its first connection on any node) or left it (its last),
     * after which the room has {@code count} users. Told as on a single node, by the room's size; {@code except}
     * (may be null) is the joining connection, which already had its own notice.
     */
    void announce(Room room, String user, boolean joined, int count, long ts, Connection except) {
        room.clusterUserCount = count;
        int before = joined ? count - 1 : count + 1;
        // As on a single node: the size after a join and before a leave decides.
        if ((joined ? count : before) <= noticesMax) {
            announceNow(room, before);
            broadcast(room, ServerMessages.presence(alloc, joined ? "join" : "leave", room.name, user, ts), except);
        } else {
            pend(room, user, joined);
        }
    }

    /** The room's users: on every node with a cluster, else on this one. */
    private static int usersOf(Room room) {
        return room.clusterUserCount >= 0 ? room.clusterUserCount : room.userCount();
    }

    private void pend(Room room, String user, boolean join) {
        Pending pending = room.presence;
        if (pending == null) {
            pending = room.presence = new Pending();
        }
        // A user who comes and goes within one interval is no change at all.
        if (join) {
            if (!pending.left.remove(user)) {
                pending.joined.add(user);
            }
        } else if (!pending.joined.remove(user)) {
            pending.left.add(user);
        }
        if (!pending.scheduled) {
            pending.scheduled = true;
            scheduleTick(room);
        }
    }

    private void scheduleTick(Room room) {
        room.loop.schedule(() -> tick(room), intervalNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The end of an interval with changes pending: announce them, unless the room is past {@code namesMax} and its
     * last count is more recent than its size allows; then look again an interval later (by which time it may have
     * shrunk back to names, which go out at once).
     */
    private void tick(Room room) {
        Pending pending = room.presence;
        int users = usersOf(room);
        if (users > namesMax && pending.announcedCount >= 0
                && System.nanoTime() - pending.announcedNanos < countOnlyIntervalNanos(users)) {
            scheduleTick(room);
            return;
        }
        pending.scheduled = false;
        announceNow(room, users);
    }

    /**
     * How often a room of {@code users} past {@code namesMax} announces its count: the interval times
     * {@code users / namesMax}, rounded up, at most {@link #MAX_COUNT_ONLY_INTERVAL_NANOS} (or the interval when
     * that is longer). A room's presence then costs about {@code namesMax} frames per interval whatever its size:
     * a count to 10,000 members every second would be 10,000 frames a second, as many as a busy chat, for a
     * number nobody reads to the unit.
     */
    long countOnlyIntervalNanos(int users) {
        int perInterval = Math.max(1, namesMax);
        long rounds = (users + perInterval - 1) / perInterval;
        long scaled = rounds > MAX_COUNT_ONLY_INTERVAL_NANOS / intervalNanos ? MAX_COUNT_ONLY_INTERVAL_NANOS
                : intervalNanos * rounds;
        return Math.max(intervalNanos, Math.min(MAX_COUNT_ONLY_INTERVAL_NANOS, scaled));
    }

    /**
     * Sends the gathered changes now: before a notice in a room that shrank back to notices, so that members
     * apply changes in the order they happened, and when the interval ends.
     */
    private void announceNow(Room room, int count) {
        Pending pending = room.presence;
        if (pending == null) {
            return;
        }
        if (pending.joined.isEmpty() && pending.left.isEmpty() && count == pending.announcedCount) {
            return;
        }
        boolean named = count <= namesMax;
        List<String> joined = named ? new ArrayList<>(pending.joined) : List.of();
        List<String> left = named ? new ArrayList<>(pending.left) : List.of();
        pending.joined.clear();
        pending.left.clear();
        pending.announcedCount = count;
        pending.announcedNanos = System.nanoTime();
        broadcast(room, ServerMessages.presenceBatch(alloc, room.name, count, named, joined, left), null);
    }

    private void broadcast(Room room, ByteBuf frame, Connection except) {
        boolean skip = except != null && room.contains(except);
        stats.presenceFrames.add(room.memberCount() - (skip ? 1 : 0));
        room.broadcast(frame, skip ? except.channel : null, -1);
    }

    private void send(Connection connection, ByteBuf notice) {
        stats.presenceFrames.increment();
        connection.send(notice);
    }
}
