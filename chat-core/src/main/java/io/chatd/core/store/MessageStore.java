package io.chatd.core.store;

import java.util.List;

/**
 * Where chat-core keeps room history, offline private messages and recent client ids. chat-core calls a store
 * from two threads of its own, never from an event loop, so implementations may block (disk I/O):
 * {@link #open} on the thread that creates the {@code Chat}, before anything else; {@link #write},
 * {@link #undelivered}, {@link #prune} and {@link #close} on the store thread, one call at a time;
 * {@link #roomMessages} on the reader thread, one call at a time but <em>concurrently with the store
 * thread's calls</em>, so that history reads never hold up commits (and acks). An implementation must make
 * {@link #roomMessages} safe against a concurrent {@link #write} or {@link #prune}, and must let it see every
 * batch whose {@link #write} returned before it was called. {@link #close} is called once the reader thread
 * made its last call. A store may keep less than it is given (see {@link Retention}); chat-core tells clients
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
     * Called on the reader thread, concurrently with the store thread's calls (see above).
     */
    List<RoomMessage> roomMessages(String room, long afterSeq, long beforeSeq, int limit) throws StoreException;

    /** The oldest {@code limit} undelivered private messages to {@code user}, in id order. */
    List<PrivateMessage> undelivered(String user, int limit) throws StoreException;

    /** Drops what the retention no longer covers at {@code nowMillis}; called about once a minute. */
    void prune(long nowMillis) throws StoreException;

    @Override
    void close();

    /** The key of the conversation between two users, the same whichever of them comes first. */
    static String conversationKey(String a, String b) {
        return a.compareTo(b) <= 0 ? a + '\n' + b : b + '\n' + a;
    }
}
