package io.chatd.core.store;

import java.security.SecureRandom;
import java.util.List;
import java.util.Map;

/**
 * What chat-core needs from a store when it starts, so that numbering continues where it stopped: the last
 * seq of every room and conversation the store still remembers, the highest private message id, and the sent
 * ids still inside the dedup window. A new store returns {@link #EMPTY}.
 *
 * @param roomSeqs              room name to the last seq it assigned
 * @param conversationSeqs      conversation key (see {@link MessageStore#conversationKey}) to its last seq
 * @param epoch                 names the numbering: the same epoch promises that no seq a client saw was lost
 *                              and reused, so a client's {@code since} still means the same messages. A store
 *                              keeps it across a clean restart and changes it after a crash (messages broadcast
 *                              before their commit may be lost, and their seqs given again). Null when the store
 *                              cannot promise that (a memory store): chat-core then takes a new epoch at every
 *                              start.
 * @param roomSeqFloor          the highest last seq of the rooms the store forgot (see {@link MessageStore#prune}):
 *                              a room it does not remember continues above it, so a forgotten room that comes
 *                              back never gives out a seq it gave before
 * @param conversationSeqFloor  the same for conversations
 */
public record StoreState(Map<String, Long> roomSeqs, Map<String, Long> conversationSeqs, long lastPrivateId,
                         List<SentId> recentIds, String epoch, long roomSeqFloor, long conversationSeqFloor) {

    public static final StoreState EMPTY = new StoreState(Map.of(), Map.of(), 0, List.of(), null);

    public StoreState {
        roomSeqs = Map.copyOf(roomSeqs);
        conversationSeqs = Map.copyOf(conversationSeqs);
        recentIds = List.copyOf(recentIds);
    }

    /** A state that forgot nothing yet (floors 0). */
    public StoreState(Map<String, Long> roomSeqs, Map<String, Long> conversationSeqs, long lastPrivateId,
                      List<SentId> recentIds, String epoch) {
        this(roomSeqs, conversationSeqs, lastPrivateId, recentIds, epoch, 0, 0);
    }

    /** A state without an epoch of its own (see {@code epoch}) that forgot nothing yet. */
    public StoreState(Map<String, Long> roomSeqs, Map<String, Long> conversationSeqs, long lastPrivateId,
                      List<SentId> recentIds) {
        this(roomSeqs, conversationSeqs, lastPrivateId, recentIds, null);
    }

    /** A fresh epoch: 16 random hex digits. */
    public static String newEpoch() {
        return Long.toHexString(new SecureRandom().nextLong() | Long.MIN_VALUE);
    }
}
