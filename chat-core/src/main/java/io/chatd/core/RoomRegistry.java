package io.chatd.core;

import io.chatd.core.cluster.SendId;
import io.chatd.core.cluster.Sent;
import io.chatd.core.store.RoomMessage;
import io.chatd.core.store.SentId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The rooms of one {@link Chat}. Each room lives on the event loop its name hashes to, and every operation
 * on it is a task on that loop: tasks from one connection run in the order it sent them, and a room
 * recreated after emptying lands on the same loop, so no request can overtake another.
 *
 * <p>Messages are broadcast at once and persisted by the {@link Persister}; the sender's ack waits for the
 * commit. A room's seq survives the room: when it empties its last seq is kept, so numbering never restarts.
 * A room empty and silent for the history TTL is forgotten, as the store forgets it: its numbering then
 * continues above a floor (see {@link io.chatd.core.store.StoreState#roomSeqFloor()}), so that room names
 * anyone can make up cost nothing once they fall silent.
 */
final class RoomRegistry {

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    /**
     * The numbering of rooms that are not live; written on the room's loop when it empties, removed by
     * {@link #forgetSilent} once the room stayed empty for the history TTL.
     */
    private final ConcurrentHashMap<String, Dormant> dormant = new ConcurrentHashMap<>();
    /** Above every seq of the rooms forgotten: where a room without a dormant entry continues. */
    private final AtomicLong seqFloor;
    private final EventLoops loops;
    private final ChatStats stats;
    private final Persister persister;
    private final int replayLimit;
    /**
     * Most bytes one answer may put in a connection's outbound buffer at once (see {@link Chat}): a history page of
     * 100 messages of emoji or escaped control characters would otherwise be a 2.4 MB frame, past the cap, and
     * close its requester as a slow consumer.
     */
    private final int answerBytes;
    /** The numbering's epoch (see {@link io.chatd.core.store.StoreState#epoch()}), sent with every resume. */
    private volatile String epoch;
    private final Presence presence;
    /** Null on a single node; with a cluster, rooms are numbered there and delivered from there. */
    private final ClusterRooms cluster;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    RoomRegistry(EventLoops loops, ChatStats stats, Persister persister, int replayLimit, int answerBytes,
                 String epoch, Presence presence, ClusterRooms cluster) {
        this.loops = loops;
        this.stats = stats;
        this.persister = persister;
        this.replayLimit = replayLimit;
        this.answerBytes = answerBytes;
        this.epoch = epoch;
        this.presence = presence;
        this.cluster = cluster;
        long loaded = System.currentTimeMillis();
        for (Map.Entry<String, Long> e : persister.initialState().roomSeqs().entrySet()) {
            // The store kept it, so it had a message within the TTL: it counts as silent from now.
            dormant.put(e.getKey(), new Dormant(e.getValue(), loaded));
        }
        this.seqFloor = new AtomicLong(persister.initialState().roomSeqFloor());
    }

    /** A room without members: its last seq, and since when it has been empty. */
    private record Dormant(long lastSeq, long emptySince) {
    }

    /** A new epoch: the cluster lost its numbering (see {@link io.chatd.core.cluster.ClusterEvents#dataLost}). */
    void epoch(String epoch) {
        this.epoch = epoch;
    }

    /** Adds the connection to the room, creating it, and tells it and the members (see {@link Presence}). */
    void join(Connection connection, String roomName) {
        onRoom(roomName, true, room -> joined(room, connection, room.add(connection), false), null);
    }

    /**
     * Tells of a connection added to the room. With a cluster the connection gets its own notice, and the room
     * hears from the cluster, which counts the user's connections on every node.
     */
    private void joined(Room room, Connection connection, boolean firstOfUser, boolean resuming) {
        if (cluster == null) {
            presence.joined(room, connection, firstOfUser, resuming, now());
            return;
        }
        presence.joinedHere(connection, room, now());
        if (firstOfUser) {
            cluster.cluster().joined(room.name, connection.user, connection.id());
        }
    }

    /**
     * Joins like {@link #join}, then replays the room's messages after {@code since}: a {@code resume} frame,
     * the stored messages, the messages broadcast while they were read, then live ones. The connection gets
     * every message after {@code since} exactly once and in seq order, whatever others publish meanwhile.
     * At most {@code replayLimit} (the history size) messages are replayed; when the store no longer reaches
     * back to {@code since} the resume frame says {@code recovered:false}.
     */
    void resume(Connection connection, String roomName, long since, boolean sameEpoch) {
        onRoom(roomName, true, room -> {
            Room.Replay replay = room.addResuming(connection, answerBytes);
            if (replay == null) {
                joined(room, connection, false, false);
                resumeMember(room, connection, since, sameEpoch);
                return;
            }
            joined(room, connection, replay.firstOfUser, true);
            long upTo = replay.upTo;
            // A since from another epoch, or beyond the last seq, comes from another life of the numbering:
            // replay the newest messages and say the client's view could not be recovered.
            boolean trusted = sameEpoch && since <= upTo;
            long after = trusted ? since : 0;
            if (trusted && since == upTo) {
                finishReplay(room, connection, replay, since, List.of(), true);
                return;
            }
            boolean queued = readRoom(roomName, after, upTo + 1, replayLimit,
                    (messages, error) -> onLoop(room.loop, () -> {
                        if (room.replayOf(connection) != replay) {
                            return; // left, closed or resumed again meanwhile
                        }
                        List<RoomMessage> got = error == null ? messages : List.of();
                        boolean recovered = trusted && error == null && complete(got, since, upTo);
                        finishReplay(room, connection, replay, since, got, recovered);
                    }));
            if (!queued) {
                finishReplay(room, connection, replay, since, List.of(), false);
            }
        }, null);
    }

    /**
     * {@code since} from a connection already in the room (typically the default room, joined on connect):
     * it has received every message after the seq it joined at live, so only those up to it are replayed. They
     * may arrive after live messages with a higher seq; the client orders by seq.
     */
    private void resumeMember(Room room, Connection connection, long since, boolean sameEpoch) {
        long joinedAt = room.liveSince(connection);
        if (joinedAt < 0) {
            return; // still resuming from an earlier join: that replay covers it
        }
        boolean trusted = sameEpoch && since <= room.lastSeq();
        if (trusted && since >= joinedAt) {
            connection.send(ServerMessages.resume(alloc, room.name, since, true, 0, epoch));
            return;
        }
        long after = trusted ? since : 0;
        if (after >= joinedAt) {
            connection.send(ServerMessages.resume(alloc, room.name, since, false, 0, epoch));
            return;
        }
        boolean queued = readRoom(room.name, after, joinedAt + 1, replayLimit,
                (messages, error) -> onLoop(room.loop, () -> {
                    List<RoomMessage> read = error == null ? messages : List.of();
                    List<RoomMessage> got = newestWithin(read, answerBytes);
                    boolean recovered = trusted && error == null && got.size() == read.size()
                            && complete(got, since, joinedAt);
                    connection.send(ServerMessages.resume(alloc, room.name, since, recovered, got.size(), epoch));
                    for (RoomMessage m : got) {
                        connection.send(ServerMessages.roomMessage(alloc, m.room(), m.from(), m.content(), m.ts(),
                                m.seq()));
                    }
                }));
        if (!queued) {
            connection.send(ServerMessages.resume(alloc, room.name, since, false, 0, epoch));
        }
    }

    /**
     * Whether {@code messages} are every seq from {@code since + 1} to {@code upTo}: a commit that failed leaves a
     * hole in the history, and a replay across it must not claim to be whole.
     */
    static boolean complete(List<RoomMessage> messages, long since, long upTo) {
        long expected = since + 1;
        for (RoomMessage m : messages) {
            if (m.seq() != expected++) {
                return false;
            }
        }
        return expected == upTo + 1;
    }

    private void finishReplay(Room room, Connection connection, Room.Replay replay, long since,
                              List<RoomMessage> read, boolean readRecovered) {
        // A replay larger than the answer budget would trip the slow-consumer close on every resume: the newest
        // that fit are sent, and the client is told it could not be recovered whole.
        List<RoomMessage> messages = newestWithin(read, answerBytes);
        boolean recovered = readRecovered && messages.size() == read.size() && !replay.overflowed;
        int held = 0;
        for (long seq : replay.seqs) {
            held += seq > replay.upTo ? 1 : 0;
        }
        connection.send(ServerMessages.resume(alloc, room.name, since, recovered, messages.size() + held, epoch));
        long last = since;
        for (RoomMessage m : messages) {
            connection.send(ServerMessages.roomMessage(alloc, m.room(), m.from(), m.content(), m.ts(), m.seq()));
            last = m.seq();
        }
        for (int i = 0; i < replay.frames.size(); i++) {
            long seq = replay.seqs.get(i);
            ByteBuf frame = replay.frames.get(i);
            if (seq >= 0 && seq <= last) {
                frame.release(); // already replayed
            } else {
                connection.send(frame);
                last = Math.max(last, seq);
            }
        }
        replay.frames.clear();
        replay.seqs.clear();
        stats.deliveries.add(messages.size());
        room.finishReplay(connection, replay);
    }

    /**
     * Removes the connection and sends the {@code leave} notice: to the whole room when it was the user's last
     * connection there, and to the leaving connection itself when {@code notifyLeaver}.
     */
    void leave(Connection connection, String roomName, boolean notifyLeaver) {
        onRoom(roomName, false, room -> {
            boolean lastOfUser = room.remove(connection);
            if (cluster != null) {
                if (notifyLeaver) {
                    presence.leftHere(connection, room, now());
                }
                if (lastOfUser) {
                    cluster.cluster().left(roomName, connection.user, connection.id());
                }
                if (room.isEmpty()) {
                    cluster.removed(room);
                    rooms.remove(roomName, room);
                }
                return;
            }
            presence.left(room, connection, lastOfUser, notifyLeaver, now());
            if (room.isEmpty()) {
                // A room that had no message since it was created needs no memory: it starts at the floor again.
                if (room.lastSeq() > seqFloor.get()) {
                    dormant.put(roomName, new Dormant(room.lastSeq(), now()));
                } else {
                    dormant.remove(roomName);
                }
                rooms.remove(roomName, room);
            }
        }, null);
    }

    /**
     * Publishes a message to every member but {@code sender}'s own connection, and persists it. Once it is
     * durable, acks the sender when it gave a {@code claim} (its client id) and completes {@code seq}. Completes
     * {@code seq} with 0 when the room does not exist (it has no members). When the store cannot take the
     * message, nothing is published and the sender gets {@code store_failed}.
     */
    void publish(Connection sender, String roomName, String from, String content, RecentIds.Claim claim,
                 String clientId, RecentIds recentIds, CompletableFuture<Long> seq) {
        if (cluster != null) {
            publishToCluster(sender, roomName, from, content, claim, clientId, recentIds, seq);
            return;
        }
        onRoom(roomName, false, room -> {
            long messageSeq = room.lastSeq() + 1;
            long ts = now();
            RoomMessage message = new RoomMessage(roomName, messageSeq, ts, from, content);
            SentId sent = claim == null ? null : new SentId(from, clientId, ts, messageSeq, false, claim.digest);
            boolean queued = persister.write(batch -> {
                batch.roomMessages.add(message);
                if (sent != null) {
                    batch.sentIds.add(sent);
                }
            }, () -> {
                if (claim != null) {
                    recentIds.complete(claim, sent);
                    sender.send(ServerMessages.ack(alloc, clientId, ts, messageSeq, false));
                }
                if (seq != null) {
                    seq.complete(messageSeq);
                }
            }, error -> failed(sender, claim, clientId, recentIds, seq, error,
                    "the message was delivered to the room but could not be stored"));
            if (!queued) {
                failed(sender, claim, clientId, recentIds, seq, new RejectedExecutionException("store queue full"),
                        "the store is overloaded; the message was not sent");
                return;
            }
            room.assigned(messageSeq);
            ByteBuf frame = ServerMessages.roomMessage(alloc, roomName, from, content, ts, messageSeq);
            boolean senderIsMember = sender != null && room.contains(sender);
            room.broadcast(frame, senderIsMember ? sender.channel : null, messageSeq);
            stats.roomMessages.increment();
            stats.deliveries.add(room.memberCount() - (senderIsMember ? 1 : 0));
        }, () -> {
            if (claim != null) {
                recentIds.abandon(claim, new IllegalStateException("no such room"));
            }
            if (seq != null) {
                seq.complete(0L);
            }
        });
    }

    /**
     * With a cluster: the cluster numbers, stores and publishes the message, and every node (this one too) delivers
     * it from there. The sender is acked once the cluster has it; {@code seq} completes then, whether or not the
     * room has members (they may be on other nodes).
     */
    private void publishToCluster(Connection sender, String roomName, String from, String content,
                                  RecentIds.Claim claim, String clientId, RecentIds recentIds,
                                  CompletableFuture<Long> seq) {
        SendId id = claim == null ? null
                : new SendId(from, clientId, claim.digest);
        cluster.cluster().publish(roomName, from, content, id, sender == null ? null : sender.id())
                .whenComplete((sent, error) -> {
                    if (error != null) {
                        failed(sender, claim, clientId, recentIds, seq, error,
                                "the cluster could not take the message; it was not sent");
                        return;
                    }
                    if (sent.outcome() == Sent.Outcome.CONFLICT) {
                        if (claim != null) {
                            recentIds.abandon(claim, new IllegalStateException("id conflict"));
                        }
                        if (sender != null) {
                            stats.errorSent(ErrorCode.ID_CONFLICT);
                            sender.send(ServerMessages.error(alloc, ErrorCode.ID_CONFLICT, "id " + clientId
                                    + " was already used for a different message; use a new id for each message",
                                    clientId));
                        }
                        return;
                    }
                    if (sent.outcome() == Sent.Outcome.NEW) {
                        stats.roomMessages.increment();
                    }
                    if (claim != null) {
                        recentIds.complete(claim, new SentId(from, clientId, sent.ts(), sent.seq(), false,
                                claim.digest));
                        sender.send(ServerMessages.ack(alloc, clientId, sent.ts(), sent.seq(), false));
                    }
                    if (seq != null) {
                        seq.complete(sent.seq());
                    }
                });
    }

    /** Reads a room's messages where they are kept (the store, or the cluster); answers on any thread. */
    private boolean readRoom(String roomName, long after, long before, int limit,
                             BiConsumer<List<RoomMessage>, Throwable> answer) {
        if (cluster == null) {
            return persister.read(store -> store.roomMessages(roomName, after, before, limit), answer);
        }
        cluster.cluster().roomMessages(roomName, after, before, limit).whenComplete(answer);
        return true;
    }

    private void failed(Connection sender, RecentIds.Claim claim, String clientId, RecentIds recentIds,
                        CompletableFuture<Long> seq, Throwable error, String message) {
        if (claim != null) {
            recentIds.abandon(claim, error);
        }
        if (sender != null) {
            sender.send(ServerMessages.error(alloc, ErrorCode.STORE_FAILED, message, clientId));
            stats.errorSent(ErrorCode.STORE_FAILED);
        }
        if (seq != null) {
            seq.completeExceptionally(error);
        }
    }

    /**
     * Sends the requester up to {@code limit} messages of the room with a seq below {@code before}, oldest first,
     * and whether older ones remain.
     */
    void history(Connection requester, String roomName, long before, int limit, String requestId) {
        boolean queued = readRoom(roomName, 0, before, limit + 1,
                // Encoded on the requester's loop: the store thread is every sender's ack path.
                (messages, error) -> EventLoops.offer(requester.channel.eventLoop(), () -> {
                    if (error != null) {
                        stats.errorSent(ErrorCode.STORE_FAILED);
                        requester.send(ServerMessages.error(alloc, ErrorCode.STORE_FAILED,
                                "history could not be read", requestId));
                        return;
                    }
                    boolean more = messages.size() > limit;
                    List<RoomMessage> page = more ? messages.subList(1, messages.size()) : messages;
                    // The newest that fit the byte budget; the client pages back from the oldest.
                    List<RoomMessage> fit = newestWithin(page, answerBytes);
                    requester.send(ServerMessages.history(alloc, roomName, fit, more || fit.size() < page.size(),
                            requestId));
                }));
        if (!queued) {
            stats.errorSent(ErrorCode.STORE_FAILED);
            requester.send(ServerMessages.error(alloc, ErrorCode.STORE_FAILED, "the store is overloaded", requestId));
        }
    }

    /** The newest of {@code messages} (oldest first) whose frames fit in {@code budget} bytes; at least one. */
    static List<RoomMessage> newestWithin(List<RoomMessage> messages, long budget) {
        int from = messages.size();
        long bytes = 0;
        while (from > 0 && (from == messages.size() || bytes + worstCaseBytes(messages.get(from - 1)) <= budget)) {
            bytes += worstCaseBytes(messages.get(--from));
        }
        return messages.subList(from, messages.size());
    }

    /** An upper bound of a message's size in a frame: every UTF-16 unit escaped as six bytes, plus the fields. */
    static long worstCaseBytes(RoomMessage m) {
        return 96 + 6L * (m.from().length() + m.content().length());
    }

    /**
     * Sends the requester up to {@code limit} of the room's users, sorted, after {@code after} (null: from the
     * first), with the user count and whether more follow.
     */
    void who(Connection requester, String roomName, String after, int limit) {
        if (cluster != null) {
            cluster.cluster().who(roomName, after, limit).whenComplete((page, error) -> {
                if (error != null) {
                    stats.errorSent(ErrorCode.STORE_FAILED);
                    requester.send(ServerMessages.error(alloc, ErrorCode.STORE_FAILED,
                            "the cluster could not be asked who is in " + roomName, null));
                } else {
                    requester.send(ServerMessages.who(alloc, roomName, page.users(), page.count(), page.more()));
                }
            });
            return;
        }
        onRoom(roomName, false, room -> {
            List<String> page = room.usersAfter(after, limit + 1);
            boolean more = page.size() > limit;
            requester.send(ServerMessages.who(alloc, roomName, more ? page.subList(0, limit) : page,
                    room.userCount(), more));
        }, () -> requester.send(ServerMessages.who(alloc, roomName, List.of(), 0, false)));
    }

    int roomCount() {
        return rooms.size();
    }

    /** Names of the rooms with members now, for the admin API. */
    List<String> roomNames() {
        return new java.util.ArrayList<>(rooms.keySet());
    }

    /** What the admin API shows of a room: a page of its users, how many there are, its last seq. */
    record Snapshot(List<String> users, int userCount, long lastSeq) {
    }

    /**
     * For the admin API: up to {@code limit} users sorting after {@code after} (null: from the first), read on the
     * room's loop; a room without members has none, and the seq where its numbering continues.
     */
    void inspect(String roomName, String after, int limit, Consumer<Snapshot> answer) {
        onRoom(roomName, false, room -> answer.accept(new Snapshot(room.usersAfter(after, limit), room.userCount(),
                room.lastSeq())), () -> answer.accept(new Snapshot(List.of(), 0, lastSeqOf(roomName))));
    }

    /** Rooms without members whose last seq is remembered. */
    int dormantRoomCount() {
        return dormant.size();
    }

    /**
     * Forgets rooms empty since before {@code cutoffMillis}: all their messages are past the history TTL, so the
     * store forgets them too. The floor rises before an entry goes, so a room recreated meanwhile on its loop
     * continues above its old seq either way.
     */
    void forgetSilent(long cutoffMillis) {
        for (Map.Entry<String, Dormant> e : dormant.entrySet()) {
            Dormant d = e.getValue();
            if (d.emptySince() < cutoffMillis) {
                seqFloor.accumulateAndGet(d.lastSeq(), Math::max);
                dormant.remove(e.getKey(), d);
            }
        }
    }

    /**
     * Runs {@code task} on the room's event loop. An absent room is created when {@code create}, otherwise
     * {@code ifAbsent} runs (when not null), as it does when the loop has stopped. The lookup happens on the
     * loop, when the task runs.
     */
    private void onRoom(String roomName, boolean create, Consumer<Room> task, Runnable ifAbsent) {
        EventLoop loop = loops.forKey(roomName);
        if (loop == null) { // no connection ever arrived, so no room exists
            if (ifAbsent != null) {
                ifAbsent.run();
            }
            return;
        }
        if (!onLoop(loop, () -> runOnRoom(roomName, create, task, ifAbsent, loop)) && ifAbsent != null) {
            ifAbsent.run(); // the room's loop has stopped: the server is shutting down, its rooms with it
        }
    }

    /** Runs {@code task} on {@code loop}; false when the loop has stopped and the task will never run. */
    private static boolean onLoop(EventLoop loop, Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
            return true;
        }
        return EventLoops.offer(loop, task);
    }

    private void runOnRoom(String roomName, boolean create, Consumer<Room> task, Runnable ifAbsent, EventLoop loop) {
        Room room = rooms.get(roomName);
        if (room == null && create) {
            room = new Room(roomName, loop, lastSeqOf(roomName));
            rooms.put(roomName, room);
            if (cluster != null) {
                cluster.created(room);
            }
        }
        if (room == null) {
            if (ifAbsent != null) {
                ifAbsent.run();
            }
            return;
        }
        // Rooms are created and removed only on their own loop, so the room found here stays live for the task.
        if (cluster != null) {
            cluster.whenReady(room, task);
        } else {
            task.accept(room);
        }
    }

    // ---- with a cluster: what it publishes, handed over on any thread ----

    /** A room message published by any node. */
    void clusterMessage(ClusterRooms.Published published) {
        onRoom(published.message().room(), false, room -> cluster.received(room, published), null);
    }

    /** A user came into a room or left it, counted over the cluster. */
    void clusterPresence(String roomName, String user, boolean joined, int count, long ts, String originNode,
                         String originConnection) {
        onRoom(roomName, false, room -> presence.announce(room, user, joined, count, ts,
                joined ? cluster.origin(originNode, user, originConnection) : null), null);
    }

    /** The subscription of a room was restored after the link broke. */
    void clusterResubscribed(String roomName) {
        onRoom(roomName, false, cluster::resubscribed, null);
    }

    /** The cluster took this node for dead: every room states its users again. */
    void clusterPresenceLost() {
        for (String name : rooms.keySet()) {
            onRoom(name, false, cluster::restatePresence, null);
        }
    }

    /** Where the numbering of a room that is not live continues. */
    private long lastSeqOf(String roomName) {
        Dormant d = dormant.get(roomName);
        return d != null ? d.lastSeq() : seqFloor.get();
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
