package io.chatd.core;

import io.chatd.core.cluster.Cluster;
import io.chatd.core.cluster.SendId;
import io.chatd.core.store.MessageStore;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.SentId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * missed, never doubled. A connection of a user nobody stored anything for (most of a reconnect storm) skips
 * the fetch: see {@link #nothingStoredFor}.
 *
 * <p>What a made-up name costs is bounded. A conversation silent for the offline TTL is forgotten (its numbering
 * continues above a floor: see {@link io.chatd.core.store.StoreState#conversationSeqFloor()}), and stored
 * messages are capped per sender and in total, besides the store's cap per recipient.
 */
final class Privates {

    private final UserRegistry users;
    private final Persister persister;
    private final ChatStats stats;
    private final int offlineMax;
    private final int offlineMaxPerSender;
    private final int offlineMaxTotal;
    /** Most bytes of stored messages queued on a connection at once: a page of its {@link Backlog}. */
    private final int pageBytes;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    /** Conversation key to its numbering; each entry changes only inside the map's atomic compute. */
    private final ConcurrentHashMap<String, Conversation> conversations = new ConcurrentHashMap<>();
    /** Above every seq of the conversations forgotten: where a conversation without an entry continues. */
    private final AtomicLong conversationFloor;
    /**
     * Stored messages waiting for delivery, per sender. Counted when a message is queued for storage, uncounted
     * when delivered or refused, and set again after each prune (which also drops messages): the store's count plus
     * {@link #uncommittedBySender}.
     */
    private final ConcurrentHashMap<String, Integer> waitingBySender = new ConcurrentHashMap<>();
    private final AtomicLong waitingTotal = new AtomicLong();
    /**
     * Of {@link #waitingBySender}, the messages counted but not yet committed: the store's counts at a prune cannot
     * include them, so {@link #pruned} adds them, and a flood racing a prune stays within its cap.
     */
    private final ConcurrentHashMap<String, Integer> uncommittedBySender = new ConcurrentHashMap<>();
    private final AtomicLong lastStoredId;
    /**
     * The users the store may hold messages for: those it named at the start and at the last prune, and every
     * recipient of a message committed since, until a fetch finds their inbox empty. Changed on the store thread
     * only, each change of a key atomic with the connect that reads it ({@link #nothingStoredFor}).
     */
    private final ConcurrentHashMap<String, Boolean> storedFor = new ConcurrentHashMap<>();
    /** Whether {@link #storedFor} is complete: not until the store has named its recipients, and never if it cannot. */
    private volatile boolean storedForKnown;
    /** Null on a single node; with a cluster, messages are numbered, routed and stored there. */
    private final Cluster cluster;
    /** With a cluster: this node's subscription to each user with a connection here. */
    private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>();

    /** This node's subscription to one user's messages; changed only inside the map's atomic compute. */
    private static final class Subscription {
        int connections;
        CompletableFuture<Void> ready;
    }

    /** The numbering of one conversation, and when it last had a message; written only inside compute. */
    private static final class Conversation {
        volatile long seq;
        volatile long lastTs;

        Conversation(long seq, long lastTs) {
            this.seq = seq;
            this.lastTs = lastTs;
        }
    }

    Privates(UserRegistry users, Persister persister, ChatStats stats, ChatConfig config, int pageBytes,
             Cluster cluster) {
        this.users = users;
        this.cluster = cluster;
        this.persister = persister;
        this.stats = stats;
        this.offlineMax = config.offlineMaxPerUser();
        this.offlineMaxPerSender = config.offlineMaxPerSender();
        this.offlineMaxTotal = config.offlineMaxTotal();
        this.pageBytes = pageBytes;
        long loaded = System.currentTimeMillis();
        for (Map.Entry<String, Long> e : persister.initialState().conversationSeqs().entrySet()) {
            // The store kept it, so it had a message within the TTL: it counts as active from now.
            conversations.put(e.getKey(), new Conversation(e.getValue(), loaded));
        }
        this.conversationFloor = new AtomicLong(persister.initialState().conversationSeqFloor());
        this.lastStoredId = new AtomicLong(persister.initialState().lastPrivateId());
        if (cluster == null && storesOffline()) {
            // Queued first, so every commit's note in storedFor comes after it; until it ran, connects fetch.
            persister.readBetweenWrites(MessageStore::undeliveredRecipients, (recipients, error) -> {
                if (error == null) {
                    recipients.ifPresent(this::storedForIs);
                }
            });
        }
    }

    /** Whether messages to offline users are stored (otherwise they get {@code user_offline}). */
    boolean storesOffline() {
        return offlineMax > 0;
    }

    /**
     * The outcome of {@link #send}. {@code HANDED_OVER}: with a cluster, the outcome comes later, to the callbacks
     * (refusals as a {@link RequestException}).
     */
    enum Outcome { DELIVERED, STORING, OFFLINE, OFFLINE_FULL, OVERLOADED, HANDED_OVER }

    /**
     * Delivers or stores a private message; {@code digest} identifies it for a resend of {@code clientId} (see
     * {@link RecentIds#digest}). {@code whenDurable} gets the ack's fields once its conversation seq
     * (and, for an offline recipient, the message) is committed; {@code whenFailed} if that failed. Returns
     * {@link Outcome#OFFLINE} without doing anything when the recipient is offline and storage is off,
     * {@link Outcome#OFFLINE_FULL} when it would be stored past the sender's or the server's cap, and
     * {@link Outcome#OVERLOADED} when the store queue is full.
     */
    Outcome send(String from, String to, String content, String clientId, long digest,
                 java.util.function.Consumer<SentId> whenDurable, java.util.function.Consumer<Throwable> whenFailed) {
        if (cluster != null) {
            sendThroughCluster(from, to, content, clientId, digest, whenDurable, whenFailed);
            return Outcome.HANDED_OVER;
        }
        List<Connection> recipients = users.connections(to);
        boolean offline = recipients.isEmpty();
        if (offline && !storesOffline()) {
            return Outcome.OFFLINE;
        }
        if (offline && !countWaiting(from)) {
            return Outcome.OFFLINE_FULL;
        }
        String key = MessageStore.conversationKey(from, to);
        long ts = System.currentTimeMillis();
        long seq = nextSeq(key, ts);
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
                dequeued(from);
                storedFor.put(to, Boolean.TRUE); // before the hand-over: see nothingStoredFor
                deliverToFetched(stored);
            }
            whenDurable.accept(sent);
        }, error -> {
            if (stored != null) {
                notStored(from);
            }
            whenFailed.accept(error);
        });
        if (!queued) {
            if (stored != null) {
                notStored(from);
            }
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

    /**
     * With a cluster, which numbers the message, publishes it to the nodes where {@code to} has connections, or
     * stores it when there are none; every node delivers it from there.
     */
    private void sendThroughCluster(String from, String to, String content, String clientId, long digest,
                                    java.util.function.Consumer<SentId> whenDurable,
                                    java.util.function.Consumer<Throwable> whenFailed) {
        SendId id = clientId == null ? null : new SendId(from, clientId, digest);
        cluster.sendPrivate(from, to, content, id).whenComplete((sent, error) -> {
            if (error != null) {
                whenFailed.accept(error);
                return;
            }
            switch (sent.outcome()) {
                case OFFLINE -> whenFailed.accept(new RequestException(ErrorCode.USER_OFFLINE,
                        to + " is not connected", clientId));
                case CONFLICT -> whenFailed.accept(new RequestException(ErrorCode.ID_CONFLICT, "id " + clientId
                        + " was already used for a different message; use a new id for each message", clientId));
                default -> whenDurable.accept(new SentId(from, clientId == null ? "" : clientId, sent.ts(),
                        sent.seq(), sent.stored(), digest));
            }
        });
    }

    /** With a cluster: a private message published to a user with connections on this node. */
    void clusterMessage(PrivateMessage message) {
        List<Connection> recipients = users.connections(message.to());
        if (recipients.isEmpty()) {
            // Its last connection here closed since the cluster routed the message: keep it for the next connect.
            if (storesOffline()) {
                cluster.storeAgain(message);
            }
            return;
        }
        ByteBuf frame = ServerMessages.privateMessage(alloc, message.from(), message.to(), message.content(),
                message.ts(), message.seq(), false);
        for (Connection recipient : recipients) {
            recipient.send(frame.retainedDuplicate());
        }
        frame.release();
        stats.privateMessages.increment();
        stats.deliveries.add(recipients.size());
    }

    /** With a cluster: a read receipt for the connections of {@code recipient} here, but the reader's own. */
    void clusterRead(String recipient, String reader, String with, long seq, Connection origin) {
        List<Connection> connections = users.connections(recipient);
        if (connections.isEmpty()) {
            return;
        }
        ByteBuf frame = ServerMessages.read(alloc, reader, with, seq);
        for (Connection c : connections) {
            if (c != origin) {
                c.send(frame.retainedDuplicate());
            }
        }
        frame.release();
    }

    /** With a cluster: the link broke and came back, so messages may have been stored for the user meanwhile. */
    void clusterResubscribed(String user) {
        for (Connection connection : users.connections(user)) {
            refetchFromCluster(connection, 10);
        }
    }

    /**
     * Reads the inbox again for a connection that already had it, retrying while the cluster is still coming
     * back (its command link may reconnect after its subscriptions): what it misses is only delayed, so the
     * connection stays open.
     */
    private void refetchFromCluster(Connection connection, int attempts) {
        cluster.inbox(connection.user, offlineMax).whenComplete((waiting, error) -> {
            if (error == null) {
                if (!waiting.isEmpty()) {
                    deliverStored(connection, waiting);
                }
            } else if (attempts > 1 && connection.channel.isActive()) {
                connection.channel.eventLoop().schedule(() -> refetchFromCluster(connection, attempts - 1),
                        1, TimeUnit.SECONDS);
            }
        });
    }

    /** The next seq of conversation {@code key}, continuing above the floor when the conversation is not known. */
    private long nextSeq(String key, long ts) {
        long[] seq = new long[1];
        conversations.compute(key, (k, known) -> {
            Conversation c = known != null ? known : new Conversation(conversationFloor.get(), ts);
            seq[0] = ++c.seq;
            c.lastTs = ts;
            return c;
        });
        return seq[0];
    }

    /**
     * Counts a message {@code from} is about to store; false, counting nothing, when that would pass the sender's
     * or the server's cap.
     */
    private boolean countWaiting(String from) {
        if (waitingTotal.incrementAndGet() > offlineMaxTotal) {
            waitingTotal.decrementAndGet();
            return false;
        }
        boolean[] counted = {false};
        waitingBySender.compute(from, (sender, n) -> {
            int waiting = n == null ? 0 : n;
            if (waiting >= offlineMaxPerSender) {
                return n;
            }
            counted[0] = true;
            // Inside the compute: pruned recounts this sender under the same lock, so it sees both or neither.
            uncommittedBySender.merge(sender, 1, Integer::sum);
            return waiting + 1;
        });
        if (!counted[0]) {
            waitingTotal.decrementAndGet();
        }
        return counted[0];
    }

    /**
     * A message counted by {@link #countWaiting} no longer waits in the store's queue: committed (the store counts it
     * from now on), failed or refused.
     */
    private void dequeued(String from) {
        uncommittedBySender.computeIfPresent(from, (sender, n) -> n > 1 ? n - 1 : null);
    }

    /** A message counted by {@link #countWaiting} will not be stored: the store failed or its queue was full. */
    private void notStored(String from) {
        waitingBySender.compute(from, (sender, n) -> {
            dequeued(sender);
            return n == null || n <= 1 ? null : n - 1;
        });
        waitingTotal.decrementAndGet();
    }

    private void uncountWaiting(String from, int count) {
        waitingBySender.computeIfPresent(from, (sender, n) -> n > count ? n - count : null);
        waitingTotal.addAndGet(-count);
    }

    /**
     * After a prune, on the store thread: forgets conversations silent since {@code cutoffMillis} (raising the
     * floor first, so that a send racing the removal still numbers above it), and takes the waiting counts
     * from the store, which dropped expired messages and those past a recipient's cap, plus those not yet committed;
     * and whom it still holds messages for ({@link #storedFor}), when it can tell.
     */
    void pruned(long cutoffMillis, Map<String, Integer> waitingNow, Optional<Set<String>> recipientsNow) {
        recipientsNow.ifPresent(this::storedForIs);
        for (Map.Entry<String, Conversation> e : conversations.entrySet()) {
            conversations.computeIfPresent(e.getKey(), (key, c) -> {
                if (c.lastTs >= cutoffMillis) {
                    return c;
                }
                conversationFloor.accumulateAndGet(c.seq, Math::max);
                return null;
            });
        }
        // The store counted what it committed; what is still queued behind this prune counts too. Each sender is
        // recounted atomically with countWaiting, so a flood racing the prune stays within its cap.
        Set<String> senders = new HashSet<>(waitingBySender.keySet());
        senders.addAll(waitingNow.keySet());
        senders.addAll(uncommittedBySender.keySet());
        long total = 0;
        for (String sender : senders) {
            Integer waiting = waitingBySender.compute(sender, (s, n) -> {
                int w = waitingNow.getOrDefault(s, 0) + uncommittedBySender.getOrDefault(s, 0);
                return w == 0 ? null : w;
            });
            total += waiting == null ? 0 : waiting;
        }
        waitingTotal.set(total); // the server-wide total stays about right: a send racing this line may be missed
    }

    /** Conversations whose numbering is held in memory. */
    int conversationCount() {
        return conversations.size();
    }

    /** Stored messages waiting for delivery, as counted for the caps. */
    long waitingCount() {
        return waitingTotal.get();
    }

    /** On the store thread: the store holds messages for these users and no others. */
    private void storedForIs(Set<String> recipients) {
        storedFor.keySet().retainAll(recipients);
        for (String user : recipients) {
            storedFor.put(user, Boolean.TRUE);
        }
        storedForKnown = true;
    }

    /** Sends {@code to} every private message stored for it, after the welcome; on its own event loop. */
    void connected(Connection connection) {
        if (cluster != null) {
            subscribe(connection);
            return;
        }
        if (!storesOffline() || nothingStoredFor(connection)) {
            return;
        }
        boolean queued = persister.readBetweenWrites(store -> {
            List<PrivateMessage> waiting = store.undelivered(connection.user, offlineMax);
            // Set on the store thread, in the same order as every storing: see the class comment.
            connection.inboxFetched = true;
            if (waiting.isEmpty()) {
                storedFor.remove(connection.user);
            }
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
     * Whether the store holds nothing for the connection's user, known without asking it; if so, the connection
     * counts as fetched from now on. Atomic with the commit of a message to the user noting it in
     * {@link #storedFor} before handing it to fetched connections: either the commit comes first, and this says
     * false (the fetch finds the message), or this does, and the commit hands the message over. Never both.
     */
    private boolean nothingStoredFor(Connection connection) {
        if (!storedForKnown) {
            return false;
        }
        boolean[] nothing = {false};
        storedFor.compute(connection.user, (user, stored) -> {
            if (stored == null) {
                connection.inboxFetched = true;
                nothing[0] = true;
            }
            return stored;
        });
        return nothing[0];
    }

    /**
     * With a cluster: subscribes this node to the user's messages, then reads what was stored for it. A message
     * sent before the subscription was stored, and is read; one sent after reaches this node: never both.
     */
    private void subscribe(Connection connection) {
        Subscription[] mine = new Subscription[1];
        subscriptions.compute(connection.user, (user, sub) -> {
            if (sub == null) {
                sub = new Subscription();
            }
            if (sub.ready == null || sub.ready.isCompletedExceptionally()) {
                sub.ready = cluster.subscribeUser(user).toCompletableFuture();
            }
            sub.connections++;
            mine[0] = sub;
            return sub;
        });
        mine[0].ready.whenComplete((ignored, error) -> {
            if (error != null) {
                inboxUnreadable(connection);
            } else {
                fetchFromCluster(connection);
            }
        });
    }

    private void fetchFromCluster(Connection connection) {
        if (!storesOffline()) {
            return;
        }
        cluster.inbox(connection.user, offlineMax).whenComplete((waiting, error) -> {
            if (error != null) {
                inboxUnreadable(connection);
            } else if (!waiting.isEmpty()) {
                deliverStored(connection, waiting);
            }
        });
    }

    /** The connection closed; with a cluster, the last one of its user here ends the node's subscription. */
    void disconnected(Connection connection) {
        if (cluster == null) {
            return;
        }
        subscriptions.computeIfPresent(connection.user, (user, sub) -> {
            if (--sub.connections > 0) {
                return sub;
            }
            cluster.unsubscribeUser(user); // in the compute, so that it reaches the cluster before a next subscribe
            return null;
        });
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
        if (cluster != null) {
            cluster.delivered(page.get(0).to(), page);
        } else {
            List<Long> ids = new ArrayList<>(page.size());
            for (PrivateMessage m : page) {
                ids.add(m.id());
            }
            persister.write(batch -> batch.delivered.addAll(ids), null, null);
            for (PrivateMessage m : page) {
                uncountWaiting(m.from(), 1);
            }
        }
        stats.privateMessages.add(page.size());
        stats.deliveries.add(page.size());
    }

    /** The highest seq of the conversation between {@code a} and {@code b}; 0 when they never wrote. */
    long lastSeq(String a, String b) {
        Conversation c = conversations.get(MessageStore.conversationKey(a, b));
        return c == null ? 0 : c.seq;
    }

    /**
     * {@code reader} read the conversation with {@code with} up to {@code seq}: tells every connection of
     * {@code with}, and the reader's other connections, so their unread marks agree.
     */
    void read(Connection reader, String with, long seq, String requestId) {
        if (cluster != null) {
            cluster.read(reader.user, with, seq, reader.id()).whenComplete((known, error) -> {
                if (error != null) {
                    stats.errorSent(ErrorCode.STORE_FAILED);
                    reader.send(ServerMessages.error(alloc, ErrorCode.STORE_FAILED,
                            "the cluster could not take the receipt", requestId));
                } else if (!known) {
                    beyondLast(reader, with, requestId);
                }
            });
            return;
        }
        if (seq > lastSeq(reader.user, with)) {
            beyondLast(reader, with, requestId);
            return;
        }
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

    private void beyondLast(Connection reader, String with, String requestId) {
        stats.errorSent(ErrorCode.INVALID);
        reader.send(ServerMessages.error(alloc, ErrorCode.INVALID, "\"seq\" is beyond the last message with " + with,
                requestId));
    }
}
