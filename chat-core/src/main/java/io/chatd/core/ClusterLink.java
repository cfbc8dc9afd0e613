package io.chatd.core;

import io.chatd.core.cluster.ClusterEvents;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.RoomMessage;

/** Hands what the cluster publishes to the rooms and private messages of one {@link Chat}. */
final class ClusterLink implements ClusterEvents {

    private final Chat chat;
    private final ClusterRooms clusterRooms;

    ClusterLink(Chat chat, ClusterRooms clusterRooms) {
        this.chat = chat;
        this.clusterRooms = clusterRooms;
    }

    @Override
    public void roomMessage(RoomMessage message, String originNode, String originConnection) {
        chat.rooms().clusterMessage(new ClusterRooms.Published(message, originNode, originConnection));
    }

    @Override
    public void presence(String room, String user, boolean joined, int userCount, long ts, String originNode,
                         String originConnection) {
        chat.rooms().clusterPresence(room, user, joined, userCount, ts, originNode, originConnection);
    }

    @Override
    public void privateMessage(PrivateMessage message) {
        chat.privates().clusterMessage(message);
    }

    @Override
    public void read(String recipient, String reader, String with, long seq, String originNode,
                     String originConnection) {
        chat.privates().clusterRead(recipient, reader, with, seq,
                clusterRooms.origin(originNode, reader, originConnection));
    }

    @Override
    public void roomResubscribed(String room) {
        chat.rooms().clusterResubscribed(room);
    }

    @Override
    public void userResubscribed(String user) {
        chat.privates().clusterResubscribed(user);
    }

    @Override
    public void presenceLost() {
        chat.rooms().clusterPresenceLost();
    }

    @Override
    public void dataLost(String newEpoch) {
        chat.clusterDataLost(newEpoch);
    }
}
