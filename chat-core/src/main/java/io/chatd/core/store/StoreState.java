package io.chatd.core.store;

import java.util.List;
import java.util.Map;

/**
 * What chat-core needs from a store when it starts, so that numbering continues where it stopped: the last
 * seq of every room and conversation, the highest private message id, and the sent ids still inside the
 * dedup window. A new store returns {@link #EMPTY}.
 *
 * @param roomSeqs         room name to the last seq it assigned
 * @param conversationSeqs conversation key (see {@link MessageStore#conversationKey}) to its last seq
 */
public record StoreState(Map<String, Long> roomSeqs, Map<String, Long> conversationSeqs, long lastPrivateId,
                         List<SentId> recentIds) {

    public static final StoreState EMPTY = new StoreState(Map.of(), Map.of(), 0, List.of());

    public StoreState {
        roomSeqs = Map.copyOf(roomSeqs);
        conversationSeqs = Map.copyOf(conversationSeqs);
        recentIds = List.copyOf(recentIds);
    }
}
