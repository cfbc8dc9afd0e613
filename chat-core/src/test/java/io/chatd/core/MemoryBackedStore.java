package io.chatd.core;

import io.chatd.core.store.MemoryMessageStore;
import io.chatd.core.store.MessageStore;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.Retention;
import io.chatd.core.store.RoomMessage;
import io.chatd.core.store.StoreState;
import io.chatd.core.store.WriteBatch;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A {@link MemoryMessageStore} to wrap: tests override the calls they make slow or failing. */
abstract class MemoryBackedStore implements MessageStore {

    final MemoryMessageStore memory = new MemoryMessageStore();

    @Override
    public StoreState open(Retention retention) {
        return memory.open(retention);
    }

    @Override
    public void write(WriteBatch batch) {
        memory.write(batch);
    }

    @Override
    public List<RoomMessage> roomMessages(String room, long afterSeq, long beforeSeq, int limit) {
        return memory.roomMessages(room, afterSeq, beforeSeq, limit);
    }

    @Override
    public List<PrivateMessage> undelivered(String user, int limit) {
        return memory.undelivered(user, limit);
    }

    @Override
    public void prune(long nowMillis) {
        memory.prune(nowMillis);
    }

    @Override
    public Map<String, Integer> undeliveredBySender() {
        return memory.undeliveredBySender();
    }

    @Override
    public Optional<Set<String>> undeliveredRecipients() {
        return memory.undeliveredRecipients();
    }

    @Override
    public void close() {
        memory.close();
    }
}
