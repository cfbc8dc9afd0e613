package io.chatd.core.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where chat-core keeps room history, offline private messages and recent client ids. chat-core calls a store
 * from two threads of its own, never from an event loop, so implementations may block (disk I/O): {@link #open}
 * on the thread that creates the {@code Chat}, {@link #roomMessages} on a reader thread, everything else on the
 * store thread, one call at a time. {@link #roomMessages} may therefore run while a {@link #write} or
 * {@link #prune} runs: it must see every batch whose {@code write} returned before it was called, and must not
 * delay writes for long (SQLite: a second connection; WAL lets it read beside the writer). A store may keep less than it is given (see {@link Retention}); chat-core tells clients
 * when history no longer reaches back far enough.
 *
 * <p>Implementations: {@link MemoryMessageStore} in chat-core, {@code SqliteMessageStore} in chat-server.
 */
public interface MessageStore extends AutoCloseable {

    /** Prepares the store (creates or migrates its schema) and returns where numbering continues. */
    StoreState open(Retention retention) throws StoreException;

    /** Applies every write of the batch, atomically; when this returns, the batch is durable. */
    void write(WriteBatch batch) throws StoreException;

    /**
     * The newest {@code limit} messages of {@code room} with {@code afterSeq < seq < beforeSeq}, oldest first.
     */
    List<RoomMessage> roomMessages(String room, long afterSeq, long beforeSeq, int limit) throws StoreException;

    /** The oldest {@code limit} undelivered private messages to {@code user}, in id order. */
    List<PrivateMessage> undelivered(String user, int limit) throws StoreException;

    /**
     * Drops what the retention no longer covers at {@code nowMillis}; called about once a minute. That includes
     * the numbering of rooms without a message younger than the history TTL and of conversations without one
     * younger than the offline TTL: a store forgets them, and raises {@link StoreState#roomSeqFloor()} or
     * {@link StoreState#conversationSeqFloor()} to the highest last seq it forgot, so that a name that comes back
     * continues above every seq it had. Names anyone can make up therefore cost nothing once they fall silent.
     */
    void prune(long nowMillis) throws StoreException;

    /**
     * How many stored private messages each sender has waiting for delivery (senders with none are absent). Read
     * after every {@link #prune}, so that per-sender and total offline caps follow what the store dropped.
     */
    Map<String, Integer> undeliveredBySender() throws StoreException;

    /**
     * Every user with stored private messages waiting (each one {@link #undelivered} would return something for),
     * or empty when the store cannot tell. Read when chat-core starts and after every {@link #prune}: from then on
     * chat-core itself notes whom it stores messages for, and a connect of a user with nothing stored skips
     * {@link #undelivered}, so a reconnect storm costs the store nothing. The default, empty, keeps the read on
     * every connect.
     */
    default Optional<Set<String>> undeliveredRecipients() throws StoreException {
        return Optional.empty();
    }

    @Override
    void close();

    /** The key of the conversation between two users, the same whichever of them comes first. */
    static String conversationKey(String a, String b) {
        return a.compareTo(b) <= 0 ? a + '\n' + b : b + '\n' + a;
    }
}
