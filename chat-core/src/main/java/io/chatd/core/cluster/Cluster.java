package io.chatd.core.cluster;

import io.chatd.core.ChatConfig;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.RoomMessage;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What several chat-core nodes share so that they serve one chat: the numbering and history of every room, the
 * routing and storage of private messages, who is in which room, and the ids already sent. Without a cluster
 * ({@link ChatConfig.Builder#cluster}) a {@code Chat} does all of this in its own process, on its
 * {@link io.chatd.core.store.MessageStore}; with one, the cluster is the single source of truth and the store is
 * not used.
 *
 * <p>The contract that keeps every node's view the same:
 * <ul>
 *   <li>Delivery comes only from {@link ClusterEvents}, the publishing node's own members included: a message is
 *       delivered everywhere or nowhere, and in one order.</li>
 *   <li>A room's messages reach {@link ClusterEvents#roomMessage} of each subscribed node in seq order, with no
 *       message after the seq {@link #subscribeRoom} completed with left out unless the node's link to the
 *       cluster broke; chat-core drops repeats and fills gaps from {@link #roomMessages}.</li>
 *   <li>Every stage fails, never hangs, when the cluster cannot be reached: a send is then refused, never
 *       falsely acked.</li>
 * </ul>
 *
 * <p>chat-core calls these methods from its event loops; implementations must not block. The events may arrive
 * on any thread, one at a time.
 */
public interface Cluster extends AutoCloseable {

    /**
     * Connects, registers this node and starts handing what the cluster publishes to {@code events}. Returns the
     * cluster's numbering epoch (see docs/protocol.md), the same on every node. Blocks until connected.
     *
     * @throws ClusterException when the cluster cannot be reached; its message is one line
     */
    String start(ChatConfig config, ClusterEvents events) throws ClusterException;

    /** This node's id, unique in the cluster. */
    String nodeId();

    /** Whether the cluster answers now, for readiness. */
    boolean answering();

    // ---- rooms ----

    /**
     * Subscribes this node to the room. Completes with the room's last seq once subscribed: every message after
     * it will reach {@link ClusterEvents#roomMessage}.
     */
    CompletionStage<Long> subscribeRoom(String room);

    /** Ends the subscription of a room that has no member on this node any more. */
    void unsubscribeRoom(String room);

    /** The room's last seq now; 0 when it has none. */
    CompletionStage<Long> lastSeq(String room);

    /**
     * Numbers a room message, appends it to the room's history and publishes it to every subscribed node, at once.
     * {@code id} (null: none) makes a resend within the dedup window return the original's seq and ts instead.
     * {@code originConnection} (null: none) is passed on to the events, so that the sender's node can leave the
     * sender's own connection out.
     */
    CompletionStage<Sent> publish(String room, String from, String content, SendId id, String originConnection);

    /** The newest {@code limit} messages of the room with {@code afterSeq < seq < beforeSeq}, oldest first. */
    CompletionStage<List<RoomMessage>> roomMessages(String room, long afterSeq, long beforeSeq, int limit);

    /**
     * {@code user} now has a connection in {@code room} on this node and had none. The cluster counts the user's
     * nodes, and at the first node publishes a join ({@link ClusterEvents#presence}) on the room's channel.
     */
    CompletionStage<Void> joined(String room, String user, String originConnection);

    /** {@code user} has no connection left in {@code room} on this node: the mirror of {@link #joined}. */
    CompletionStage<Void> left(String room, String user, String originConnection);

    /** Up to {@code limit} of the room's users sorting after {@code after} (null: from the first). */
    CompletionStage<WhoPage> who(String room, String after, int limit);

    // ---- users and private messages ----

    /**
     * Subscribes this node to private messages for {@code user}. Once it completes, every message sent to the user
     * reaches {@link ClusterEvents#privateMessage} here, and none is stored for later instead.
     */
    CompletionStage<Void> subscribeUser(String user);

    /** Ends the subscription of a user that has no connection on this node any more. */
    void unsubscribeUser(String user);

    /** The oldest {@code limit} private messages stored for {@code user}, in the order stored. */
    CompletionStage<List<PrivateMessage>> inbox(String user, int limit);

    /** Stored messages that reached a connection of their recipient: they leave the inbox. */
    void delivered(String user, List<PrivateMessage> messages);

    /** Stores again a message that reached this node for a recipient who had just left it. */
    void storeAgain(PrivateMessage message);

    /**
     * Numbers a private message in its conversation and publishes it to the nodes where {@code to} has a
     * connection; when there are none it is stored ({@link Sent#stored()}), or, when offline storage is off, the
     * outcome is {@link Sent.Outcome#OFFLINE} and nothing changes.
     */
    CompletionStage<Sent> sendPrivate(String from, String to, String content, SendId id);

    /**
     * Publishes a read receipt to every connection of {@code with} and of {@code reader} (but {@code
     * originConnection}). Completes with false, publishing nothing, when {@code seq} is beyond the conversation.
     */
    CompletionStage<Boolean> read(String reader, String with, long seq, String originConnection);

    /** Leaves the cluster: this node's users leave their rooms everywhere at once. */
    @Override
    void close();
}
