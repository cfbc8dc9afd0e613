package io.chatd.core;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections per room, for {@link ChatConfig#maxRoomMembers()}. A connection takes its place here, atomically,
 * before it joins a room and gives it back when it leaves or closes; a full room is refused with
 * {@code room_full}. With no cap it counts nothing.
 */
final class RoomOccupancy {

    private final int maxMembers;
    private final ConcurrentHashMap<String, Integer> members = new ConcurrentHashMap<>();

    RoomOccupancy(int maxMembers) {
        this.maxMembers = maxMembers;
    }

    /** Takes a place in the room; false when it is full. */
    boolean enter(String room) {
        if (maxMembers <= 0) {
            return true;
        }
        boolean[] entered = {false};
        members.compute(room, (key, count) -> {
            int current = count == null ? 0 : count;
            if (current >= maxMembers) {
                return count;
            }
            entered[0] = true;
            return current + 1;
        });
        return entered[0];
    }

    void exit(String room) {
        if (maxMembers > 0) {
            members.computeIfPresent(room, (key, count) -> count <= 1 ? null : count - 1);
        }
    }

    /** Connections counted in {@code room}; for tests. */
    int members(String room) {
        return members.getOrDefault(room, 0);
    }

    /** Rooms with at least one counted member; for tests. */
    int roomCount() {
        return members.size();
    }
}
