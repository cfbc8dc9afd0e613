package io.chatd.core.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything chat-core persists in one group commit. A store applies a batch atomically: all of it or none.
 * Lists are in submission order.
 */
public final class WriteBatch {

    /** New room messages. */
    public final List<RoomMessage> roomMessages = new ArrayList<>();
    /** Private messages for recipients who were offline, to keep until delivered. */
    public final List<PrivateMessage> offlineMessages = new ArrayList<>();
    /** Ids of stored private messages that were delivered and can be forgotten. */
    public final List<Long> delivered = new ArrayList<>();
    /** Conversation key to the highest seq it reached in this batch. */
    public final Map<String, Long> conversationSeqs = new HashMap<>();
    /** Client ids of the sends in this batch, for idempotent resends. */
    public final List<SentId> sentIds = new ArrayList<>();

    public boolean isEmpty() {
        return roomMessages.isEmpty() && offlineMessages.isEmpty() && delivered.isEmpty()
                && conversationSeqs.isEmpty() && sentIds.isEmpty();
    }

    public void clear() {
        roomMessages.clear();
        offlineMessages.clear();
        delivered.clear();
        conversationSeqs.clear();
        sentIds.clear();
    }
}
