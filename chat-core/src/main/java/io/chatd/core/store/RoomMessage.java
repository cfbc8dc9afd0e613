package io.chatd.core.store;

import java.util.Objects;

/**
 * One stored room message: its per-room {@code seq} (1, 2, 3... with no reuse), server time in epoch
 * milliseconds, sender and content.
 */
public record RoomMessage(String room, long seq, long ts, String from, String content) {
    public RoomMessage {
        Objects.requireNonNull(room, "room");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(content, "content");
    }
}
