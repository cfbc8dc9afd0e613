package io.chatd.core.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A store in the heap: fast, and empty again after a restart. Keeps each room's newest
 * {@link Retention#historySize()} messages and each user's newest {@link Retention#offlineMaxPerUser()}
 * undelivered private messages; {@link #prune} drops what outlived the TTLs. Every method holds the store's
 * lock: history reads come from chat-core's reader thread, beside the writes.
 */
public final class MemoryMessageStore implements MessageStore {

    private final Map<String, ArrayDeque<RoomMessage>> rooms = new HashMap<>();
    private final Map<String, ArrayDeque<PrivateMessage>> inboxes = new HashMap<>();
    /** Stored private message id to its recipient, to find it on delivery. */
    private final Map<Long, String> recipients = new HashMap<>();
    private Retention retention;

    @Override
    public synchronized StoreState open(Retention retention) {
        this.retention = retention;
        return StoreState.EMPTY;
    }

    @Override
    public synchronized void write(WriteBatch batch) {
        for (RoomMessage m : batch.roomMessages) {
            ArrayDeque<RoomMessage> history = rooms.computeIfAbsent(m.room(), r -> new ArrayDeque<>());
            history.addLast(m);
            if (history.size() > retention.historySize()) {
                history.removeFirst();
            }
        }
        for (PrivateMessage m : batch.offlineMessages) {
            ArrayDeque<PrivateMessage> inbox = inboxes.computeIfAbsent(m.to(), u -> new ArrayDeque<>());
            inbox.addLast(m);
            recipients.put(m.id(), m.to());
            if (inbox.size() > retention.offlineMaxPerUser()) {
                recipients.remove(inbox.removeFirst().id());
            }
        }
        for (long id : batch.delivered) {
            String recipient = recipients.remove(id);
            ArrayDeque<PrivateMessage> inbox = recipient == null ? null : inboxes.get(recipient);
            // Deliveries come in id order from the front of an inbox, so removeIf stops looking early in effect.
            if (inbox != null && inbox.removeIf(m -> m.id() == id) && inbox.isEmpty()) {
                inboxes.remove(recipient);
            }
        }
        // Conversation seqs and sent ids live in chat-core's own memory; a heap store has nothing to add.
    }

    @Override
    public synchronized List<RoomMessage> roomMessages(String room, long afterSeq, long beforeSeq, int limit) {
        ArrayDeque<RoomMessage> history = rooms.get(room);
        if (history == null || limit <= 0) {
            return List.of();
        }
        ArrayList<RoomMessage> newestFirst = new ArrayList<>();
        for (Iterator<RoomMessage> it = history.descendingIterator(); it.hasNext() && newestFirst.size() < limit; ) {
            RoomMessage m = it.next();
            if (m.seq() <= afterSeq) {
                break;
            }
            if (m.seq() < beforeSeq) {
                newestFirst.add(m);
            }
        }
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    @Override
    public synchronized List<PrivateMessage> undelivered(String user, int limit) {
        ArrayDeque<PrivateMessage> inbox = inboxes.get(user);
        if (inbox == null) {
            return List.of();
        }
        return inbox.stream().limit(limit).toList();
    }

    @Override
    public synchronized void prune(long nowMillis) {
        long historyCutoff = nowMillis - retention.historyTtl().toMillis();
        rooms.values().removeIf(history -> {
            while (!history.isEmpty() && history.peekFirst().ts() < historyCutoff) {
                history.removeFirst();
            }
            return history.isEmpty();
        });
        long offlineCutoff = nowMillis - retention.offlineTtl().toMillis();
        inboxes.values().removeIf(inbox -> {
            while (!inbox.isEmpty() && inbox.peekFirst().ts() < offlineCutoff) {
                recipients.remove(inbox.removeFirst().id());
            }
            return inbox.isEmpty();
        });
    }

    @Override
    public synchronized Map<String, Integer> undeliveredBySender() {
        Map<String, Integer> counts = new HashMap<>();
        for (ArrayDeque<PrivateMessage> inbox : inboxes.values()) {
            for (PrivateMessage m : inbox) {
                counts.merge(m.from(), 1, Integer::sum);
            }
        }
        return counts;
    }

    @Override
    public synchronized Optional<Set<String>> undeliveredRecipients() {
        return Optional.of(Set.copyOf(inboxes.keySet())); // an inbox is removed with its last message
    }

    @Override
    public synchronized void close() {
        rooms.clear();
        inboxes.clear();
        recipients.clear();
    }
}
