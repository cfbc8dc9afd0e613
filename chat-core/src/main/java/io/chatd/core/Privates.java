package io.chatd.core;

import io.chatd.core.store.MessageStore;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.SentId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Private messages: numbering per conversation, live delivery, storage for offline recipients and their
 * delivery on the next connect, and read receipts.
 *
 * <p>Every private message gets the next {@code seq} of its conversation (the pair of users, both directions
 * counted together), which receipts refer to. A message to a user with no connection is stored and acked with
 * {@code stored:true}. Each new connection asks the store thread for its user's stored messages; because that
 * fetch and the storing of a message both run on the store thread, a message stored after a connection's fetch
 * is handed to that connection right after its commit, and one stored before is found by the fetch: never
 * missed, never doubled.
 */
final class Privates {

    private final UserRegistry users;
    private final Persister persister;
    private final ChatStats stats;
    private final int offlineMax;
    /** Most bytes of stored messages queued on a connection at once: a page of its {@link Backlog}. */
    private final int pageBytes;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final ConcurrentHashMap<String, AtomicLong> conversations = new ConcurrentHashMap<>();
    private final AtomicLong lastStoredId;

    Privates(UserRegistry users, Persister persister, ChatStats stats, int offlineMax, int pageBytes) {
        this.users = users;
        this.persister = persister;
        this.stats = stats;
        this.offlineMax = offlineMax;
        this.pageBytes = pageBytes;
        for (Map.Entry<String, Long> e : persister.initialState().conversationSeqs().entrySet()) {
            conversations.put(e.getKey(), new AtomicLong(e.getValue()));
        }
        this.lastStoredId = new AtomicLong(persister.initialState().lastPrivateId());
    }

    /** Whether messages to offline users are stored (otherwise they get {@code user_offline}). */
    boolean storesOffline() {
        return offlineMax > 0;
    }

    /** The outcome of {@link #send}. */
    enum Outcome { DELIVERED, STORING, OFFLINE, OVERLOADED }

    /**
     * Delivers or stores a private message; {@code digest} identifies it for a resend of {@code clientId} (see
     * {@link RecentIds#digest}). {@code whenDurable} gets the ack's fields once its conversation seq
     * (and, for an offline recipient, the message) is committed; {@code whenFailed} if that failed. Returns
     * {@link Outcome#OFFLINE} without doing anything when the recipient is offline and storage is off, and
     * {@link Outcome#OVERLOADED} when the store queue is full.
     */
    Outcome send(String from, String to, String content, String clientId, long digest,
                 java.util.function.Consumer<SentId> whenDurable, java.util.function.Consumer<Throwable> whenFailed) {
        List<Connection> recipients = users.connections(to);
        boolean offline = recipients.isEmpty();
        if (offline && !storesOffline()) {
            return Outcome.OFFLINE;
        }
        String key = MessageStore.conversationKey(from, to);
        long seq = conversations.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        long ts = System.currentTimeMillis();
        PrivateMessage stored = offline
                ? new PrivateMessage(lastStoredId.incrementAndGet(), from, to, seq, ts, content) : null;
        SentId sent = new SentId(from, clientId == null ? "" : clientId, ts, seq, offline, digest);
        boolean queued = persister.write(batch -> {
            batch.conversationSeqs.merge(key, seq, Math::max);
            if (stored != null) {
                batch.offlineMessages.add(stored);
            }
            if (clientId != null) {
                batch.sentIds.add(sent);
            }
        }, () -> {
            if (stored != null) {
                deliverToFetched(stored);
            }
            whenDurable.accept(sent);
        }, whenFailed);
        if (!queued) {
            return Outcome.OVERLOADED;
        }
        if (!offline) {
            ByteBuf frame = ServerMessages.privateMessage(alloc, from, to, content, ts, seq, false);
            for (Connection recipient : recipients) {
                recipient.send(frame.retainedDuplicate());
            }
            frame.release();
            stats.privateMessages.increment();
            stats.deliveries.add(recipients.size());
            return Outcome.DELIVERED;
        }
        return Outcome.STORING;
    }

    /** Sends {@code to} every private message stored for it, after the welcome; on its own event loop. */
    void connected(Connection connection) {
        if (!storesOffline()) {
            return;
        }
        boolean queued = persister.read(store -> {
            List<PrivateMessage> waiting = store.undelivered(connection.user, offlineMax);
            // Set on the store thread, in the same order as every storing: see the class comment.
            connection.inboxFetched = true;
            return waiting;
        }, (waiting, error) -> {
            if (error != null) {
                inboxUnreadable(connection);
            } else if (!waiting.isEmpty()) {
                deliverStored(connection, waiting);
            }
        });
        if (!queued) {
            inboxUnreadable(connection);
        }
    }

    /**
     * A connection that cannot get its stored messages must not look complete, or it would never get them: it is
     * closed with 1011, which clients answer by reconnecting with backoff, and the next connect reads again.
     */
    private void inboxUnreadable(Connection connection) {
        Disconnect.close(connection.channel, CloseCodes.INTERNAL_ERROR, "stored messages unavailable; reconnect");
    }

    /** On the store thread, after a stored message was committed: hand it to connections that already fetched. */
    private void deliverToFetched(PrivateMessage message) {
        for (Connection connection : users.connections(message.to())) {
            if (connection.inboxFetched) {
                deliverStored(connection, List.of(message));
            }
        }
    }

    /**
     * Writes stored messages to one connection, after those it is still owed, in pages (see {@link Backlog});
     * forgets each page in the store once the socket took it: at least once, and never a lock-out.
     */
    private void deliverStored(Connection connection, List<PrivateMessage> messages) {
        EventLoops.offer(connection.channel.eventLoop(), () -> {
            if (connection.storedPrivates == null) {
                connection.storedPrivates = new Backlog<>(connection.channel, pageBytes,
                        m -> ServerMessages.privateMessage(alloc, m.from(), m.to(), m.content(), m.ts(), m.seq(), true),
                        this::delivered);
            }
            connection.storedPrivates.addAll(messages);
        });
    }

    /** A page of stored messages reached a socket: they leave the store. */
    private void delivered(List<PrivateMessage> page) {
        List<Long> ids = new ArrayList<>(page.size());
        for (PrivateMessage m : page) {
            ids.add(m.id());
        }
        persister.write(batch -> batch.delivered.addAll(ids), null, null);
        stats.privateMessages.add(page.size());
        stats.deliveries.add(page.size());
    }

    /** The highest seq of the conversation between {@code a} and {@code b}; 0 when they never wrote. */
    long lastSeq(String a, String b) {
        AtomicLong seq = conversations.get(MessageStore.conversationKey(a, b));
        return seq == null ? 0 : seq.get();
    }

    /**
     * {@code reader} read the conversation with {@code with} up to {@code seq}: tells every connection of
     * {@code with}, and the reader's other connections, so their unread marks agree.
     */
    void read(Connection reader, String with, long seq) {
        ByteBuf frame = ServerMessages.read(alloc, reader.user, with, seq);
        for (Connection c : users.connections(with)) {
            c.send(frame.retainedDuplicate());
        }
        if (!with.equals(reader.user)) {
            for (Connection c : users.connections(reader.user)) {
                if (c != reader) {
                    c.send(frame.retainedDuplicate());
                }
            }
        }
        frame.release();
    }
}
