package io.chatd.core;

import io.chatd.core.cluster.Cluster;
import io.chatd.core.store.RoomMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How this node's copy of each room follows the cluster (see {@link Cluster}): a room is numbered in the cluster,
 * and this node delivers what the cluster publishes, its own members' messages included, in seq order.
 *
 * <p>Each room remembers the last seq it delivered ({@link Room#lastSeq()}). A repeat is dropped. A seq past the
 * next one means the link dropped messages (a reconnect): later messages are held while the gap is read from the
 * room's history, then delivered in order. What the history no longer has is skipped; a client that resumes later
 * is told {@code recovered:false}.
 *
 * <p>A room created on this node waits for its subscription before anything runs on it: the seq the subscription
 * starts at is where its members' live messages start. Every method runs on the room's loop.
 */
final class ClusterRooms {

    private static final Logger log = LoggerFactory.getLogger(ClusterRooms.class);
    /** Most messages held behind a gap; past it the gap is given up and the room goes on from what it holds. */
    private static final int MAX_HELD = 10_000;
    /** Pause before a failed subscription or gap read is tried again: the cluster is away, not the room. */
    private static final long RETRY_MILLIS = 1000;

    private final Cluster cluster;
    private final String nodeId;
    private final UserRegistry users;
    private final ChatStats stats;
    private final int replayLimit;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    ClusterRooms(Cluster cluster, UserRegistry users, ChatStats stats, int replayLimit) {
        this.cluster = cluster;
        this.nodeId = cluster.nodeId();
        this.users = users;
        this.stats = stats;
        this.replayLimit = replayLimit;
    }

    Cluster cluster() {
        return cluster;
    }

    /** A room's state in the cluster; owned by the room's loop. */
    static final class Feed {
        /** Tasks that arrived before the subscription; null once it is known where the room's messages start. */
        List<Runnable> waiting = new ArrayList<>();
        /** Messages past a gap, by seq, while the gap is read. */
        final TreeMap<Long, Published> held = new TreeMap<>();
        boolean filling;
        /** Set when the room left this node; late answers then do nothing. */
        boolean closed;
    }

    /** A message as published, with its sender's node and connection. */
    record Published(RoomMessage message, String originNode, String originConnection) {
    }

    /** The room was just created on this node: subscribe, holding what arrives for it until subscribed. */
    void created(Room room) {
        room.feed = new Feed();
        subscribe(room);
    }

    /** Runs {@code task} on the room now, or once the room's subscription is known. */
    void whenReady(Room room, Consumer<Room> task) {
        if (room.feed.waiting != null) {
            room.feed.waiting.add(() -> task.accept(room));
        } else {
            task.accept(room);
        }
    }

    /** The room has no member left here. */
    void removed(Room room) {
        room.feed.closed = true;
        room.feed.held.clear();
        cluster.unsubscribeRoom(room.name);
    }

    private void subscribe(Room room) {
        cluster.subscribeRoom(room.name).whenComplete((last, error) -> onLoop(room, () -> {
            Feed feed = room.feed;
            if (error != null) {
                log.warn("cannot subscribe to room {} ({}); retrying", LogSafe.escape(room.name), error.toString());
                room.loop.schedule(() -> {
                    if (!feed.closed) {
                        subscribe(room);
                    }
                }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            room.assigned(last);
            List<Runnable> tasks = feed.waiting;
            feed.waiting = null;
            tasks.forEach(Runnable::run);
            drainHeld(room);
        }));
    }

    /** A message the cluster published to the room. */
    void received(Room room, Published published) {
        Feed feed = room.feed;
        if (feed.waiting != null || feed.filling) {
            hold(room, published);
        } else {
            inOrder(room, published);
        }
    }

    private void inOrder(Room room, Published published) {
        long seq = published.message().seq();
        long last = room.lastSeq();
        if (seq <= last) {
            return; // a repeat, or before this node subscribed
        }
        if (seq == last + 1) {
            deliver(room, published);
            return;
        }
        hold(room, published);
        fill(room, last, seq);
    }

    private void hold(Room room, Published published) {
        TreeMap<Long, Published> held = room.feed.held;
        held.put(published.message().seq(), published);
        if (held.size() > MAX_HELD && room.feed.waiting == null) {
            log.warn("room {}: {} messages held behind a gap after seq {}; going on without it",
                    LogSafe.escape(room.name), held.size(), room.lastSeq());
            room.feed.filling = false;
            stats.clusterGapLost.add(held.firstKey() - 1 - room.lastSeq());
            room.assigned(held.firstKey() - 1);
            drainHeld(room);
        }
    }

    /** Delivers what is held, in order, until a gap stops it. */
    private void drainHeld(Room room) {
        Feed feed = room.feed;
        while (!feed.held.isEmpty() && !feed.filling && feed.waiting == null) {
            inOrder(room, feed.held.pollFirstEntry().getValue());
        }
    }

    /** Reads the messages after {@code after} and before {@code upTo} from the history, then goes on. */
    private void fill(Room room, long after, long upTo) {
        Feed feed = room.feed;
        feed.filling = true;
        int count = (int) Math.min(upTo - after - 1, replayLimit);
        cluster.roomMessages(room.name, after, upTo, Math.max(1, count)).whenComplete((got, error) -> onLoop(room, () -> {
            if (feed.closed || !feed.filling) {
                return;
            }
            if (error != null) {
                log.warn("room {}: cannot read seqs {} to {} ({}); retrying", LogSafe.escape(room.name), after + 1,
                        upTo - 1, error.toString());
                room.loop.schedule(() -> {
                    if (!feed.closed && feed.filling) {
                        fill(room, room.lastSeq(), upTo);
                    }
                }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            feed.filling = false;
            long missing = upTo - 1 - room.lastSeq();
            int filled = 0;
            for (RoomMessage m : got) {
                if (m.seq() > room.lastSeq() && m.seq() < upTo) {
                    deliver(room, new Published(m, null, null));
                    filled++;
                }
            }
            stats.clusterGapFilled.add(filled);
            if (filled < missing) {
                // Trimmed or expired from the history, or past what one read takes (the newest were read).
                log.debug("room {}: {} of seqs {} to {} are no longer in the history", LogSafe.escape(room.name),
                        missing - filled, upTo - missing, upTo - 1);
                stats.clusterGapLost.add(missing - filled);
                room.assigned(upTo - 1);
            }
            drainHeld(room);
        }));
    }

    /** After the link to the cluster broke: fills what the room missed at its tail, and states its presence again. */
    void resubscribed(Room room) {
        Feed feed = room.feed;
        if (feed.waiting != null) {
            return; // its first subscription is still on its way
        }
        restatePresence(room);
        cluster.lastSeq(room.name).whenComplete((last, error) -> onLoop(room, () -> {
            if (error == null && !feed.closed && !feed.filling && last > room.lastSeq()) {
                fill(room, room.lastSeq(), last + 1);
            }
        }));
    }

    /** States every user of the room again, after the cluster took this node for dead. */
    void restatePresence(Room room) {
        if (room.feed.waiting == null) {
            for (String user : room.usersAfter(null, Integer.MAX_VALUE)) {
                cluster.joined(room.name, user, null);
            }
        }
    }

    private void deliver(Room room, Published published) {
        RoomMessage m = published.message();
        room.assigned(m.seq());
        Connection sender = origin(published.originNode(), m.from(), published.originConnection());
        boolean senderIsMember = sender != null && room.contains(sender);
        ByteBuf frame = ServerMessages.roomMessage(alloc, m.room(), m.from(), m.content(), m.ts(), m.seq());
        room.broadcast(frame, senderIsMember ? sender.channel : null, m.seq());
        stats.deliveries.add(room.memberCount() - (senderIsMember ? 1 : 0));
    }

    /** The connection {@code connectionId} of {@code user} when it is on this node, else null. */
    Connection origin(String originNode, String user, String connectionId) {
        if (connectionId == null || !nodeId.equals(originNode)) {
            return null;
        }
        for (Connection c : users.connections(user)) {
            if (c.id().equals(connectionId)) {
                return c;
            }
        }
        return null;
    }

    private static void onLoop(Room room, Runnable task) {
        if (room.loop.inEventLoop()) {
            task.run();
        } else {
            EventLoops.offer(room.loop, task);
        }
    }
}
