package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The rooms of one {@link Chat}. Each room lives on the event loop its name hashes to, and every operation
 * on it is a task on that loop: tasks from one connection run in the order it sent them, and a room
 * recreated after emptying lands on the same loop, so no request can overtake another.
 */
final class RoomRegistry {

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final EventLoops loops;
    private final ChatStats stats;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    RoomRegistry(EventLoops loops, ChatStats stats) {
        this.loops = loops;
        this.stats = stats;
    }

    /** Adds the connection to the room, creating it, and sends the {@code join} notice. */
    void join(Connection connection, String roomName) {
        onRoom(roomName, true, room -> {
            boolean firstOfUser = room.add(connection);
            ByteBuf notice = ServerMessages.presence(alloc, "join", roomName, connection.user, now());
            if (firstOfUser) {
                room.broadcast(notice, null);
            } else {
                connection.send(notice);
            }
        }, null);
    }

    /**
     * Removes the connection and sends the {@code leave} notice: to the whole room when it was the user's last
     * connection there, and to the leaving connection itself when {@code notifyLeaver}.
     */
    void leave(Connection connection, String roomName, boolean notifyLeaver) {
        onRoom(roomName, false, room -> {
            boolean lastOfUser = room.remove(connection);
            if (lastOfUser || notifyLeaver) {
                ByteBuf notice = ServerMessages.presence(alloc, "leave", roomName, connection.user, now());
                if (notifyLeaver) {
                    connection.send(notice.retainedDuplicate());
                }
                if (lastOfUser) {
                    room.broadcast(notice, null);
                } else {
                    notice.release();
                }
            }
            if (room.isEmpty()) {
                rooms.remove(roomName, room);
            }
        }, null);
    }

    /**
     * Publishes a message to every member but {@code sender}'s own connection, and acks the sender when it
     * gave a {@code clientId}. Completes {@code seq} with the message's sequence number, or 0 when the room
     * does not exist (it has no members).
     */
    void publish(Connection sender, String roomName, String from, String content, String clientId,
                 CompletableFuture<Long> seq) {
        onRoom(roomName, false, room -> {
            long messageSeq = room.nextSeq();
            long ts = now();
            ByteBuf frame = ServerMessages.roomMessage(alloc, roomName, from, content, ts, messageSeq);
            boolean senderIsMember = sender != null && room.contains(sender);
            room.broadcast(frame, senderIsMember ? sender.channel : null);
            stats.roomMessages.increment();
            stats.deliveries.add(room.memberCount() - (senderIsMember ? 1 : 0));
            if (sender != null && clientId != null) {
                sender.send(ServerMessages.ack(alloc, clientId, ts, messageSeq));
            }
            if (seq != null) {
                seq.complete(messageSeq);
            }
        }, () -> {
            if (seq != null) {
                seq.complete(0L);
            }
        });
    }

    /** Sends the sorted users present in the room to the requester. */
    void who(Connection requester, String roomName) {
        onRoom(roomName, false, room -> {
            List<String> users = new ArrayList<>(room.users());
            Collections.sort(users);
            requester.send(ServerMessages.who(alloc, roomName, users));
        }, () -> requester.send(ServerMessages.who(alloc, roomName, List.of())));
    }

    int roomCount() {
        return rooms.size();
    }

    /**
     * Runs {@code task} on the room's event loop. An absent room is created when {@code create}, otherwise
     * {@code ifAbsent} runs (when not null). The lookup happens on the loop, when the task runs.
     */
    private void onRoom(String roomName, boolean create, Consumer<Room> task, Runnable ifAbsent) {
        EventLoop loop = loops.forKey(roomName);
        if (loop == null) { // no connection ever arrived, so no room exists
            if (ifAbsent != null) {
                ifAbsent.run();
            }
            return;
        }
        if (loop.inEventLoop()) {
            runOnRoom(roomName, create, task, ifAbsent, loop);
        } else {
            try {
                loop.execute(() -> runOnRoom(roomName, create, task, ifAbsent, loop));
            } catch (RejectedExecutionException e) {
                // The room's loop has stopped: the server is shutting down and its rooms are gone with it.
                if (ifAbsent != null) {
                    ifAbsent.run();
                }
            }
        }
    }

    private void runOnRoom(String roomName, boolean create, Consumer<Room> task, Runnable ifAbsent, EventLoop loop) {
        Room room = create ? rooms.computeIfAbsent(roomName, name -> new Room(name, loop)) : rooms.get(roomName);
        if (room == null) {
            if (ifAbsent != null) {
                ifAbsent.run();
            }
            return;
        }
        // Rooms are created and removed only on their own loop, so the room found here stays live for the task.
        task.accept(room);
    }

    private static long now() {
        return System.currentTimeMillis();
    }
}
