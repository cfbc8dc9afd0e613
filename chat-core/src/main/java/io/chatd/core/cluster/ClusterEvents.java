package io.chatd.core.cluster;

import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.RoomMessage;

/**
 * What a {@link Cluster} hands to the node: everything published by any node, its own included. Implemented by
 * chat-core; each method returns at once (the work moves to the event loops).
 */
public interface ClusterEvents {

    /** A room message, in seq order per room; {@code originNode} and {@code originConnection} name its sender. */
    void roomMessage(RoomMessage message, String originNode, String originConnection);

    /**
     * {@code user} came into the room (its first connection in the cluster) or left it (its last), after which
     * the room has {@code userCount} users.
     */
    void presence(String room, String user, boolean joined, int userCount, long ts, String originNode,
                  String originConnection);

    /** A private message for a user this node subscribed to. */
    void privateMessage(PrivateMessage message);

    /**
     * A read receipt for the connections of {@code recipient} (one of the two users): {@code reader} read its
     * conversation with {@code with} up to {@code seq}.
     */
    void read(String recipient, String reader, String with, long seq, String originNode, String originConnection);

    /**
     * The subscription of a room was restored after the link to the cluster broke: messages may have been missed,
     * and the cluster may have forgotten this node's presence there.
     */
    void roomResubscribed(String room);

    /** The subscription of a user was restored after the link broke: messages may have been stored meanwhile. */
    void userResubscribed(String user);

    /** The cluster had given this node's presence up for dead (a long pause): every presence must be stated again. */
    void presenceLost();

    /**
     * The cluster lost its data (a restart without persistence): numbering restarted under {@code newEpoch}.
     * Clients must be told, since their seqs mean nothing any more.
     */
    void dataLost(String newEpoch);
}
