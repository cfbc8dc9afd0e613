package io.chatd.bench;

/**
 * Who is who in a run: each connection's user name and room, which connections send, and how many deliveries
 * one message of each sender should produce. Connections are numbered 0..N-1; a message's content carries the
 * sender's number, and each receiver tracks the senders it can hear in a small array indexed from
 * {@link #senderBase}.
 */
final class Topology {

    /** Users named alike share nothing but the name; the server treats them as one user with several tabs. */
    static final String USER_PREFIX = "b";

    /**
     * Fan-out's default number of distinct users. The server broadcasts a join notice to the whole room for a
     * user's first connection only, so N distinct users in one room cost N^2/2 notices at setup; a hundred
     * users sharing N connections cost 100 x N and deliver messages exactly the same way.
     */
    static final int FANOUT_DEFAULT_USERS = 100;

    final Scenario scenario;
    final int connections;
    final int users;
    final int senders;
    final String room;
    final int roomSize;

    /**
     * @param users    distinct user names, 0 for the scenario's default
     * @param senders  fan-out only: connections 0..senders-1 send
     * @param room     the room name, or for {@code rooms} the prefix of {@code room-0}, {@code room-1}, ...
     * @param roomSize {@code rooms} only: members per room
     */
    Topology(Scenario scenario, int connections, int users, int senders, String room, int roomSize) {
        if (connections < 1) {
            throw new IllegalArgumentException("--connections must be at least 1");
        }
        this.scenario = scenario;
        this.connections = connections;
        switch (scenario) {
            case FANOUT -> {
                if (senders < 1 || senders > connections) {
                    throw new IllegalArgumentException("--senders must be 1 to --connections");
                }
                this.senders = senders;
                this.users = users > 0 ? Math.min(users, connections) : Math.min(FANOUT_DEFAULT_USERS, connections);
            }
            case ROOMS -> {
                if (roomSize < 2) {
                    throw new IllegalArgumentException("--room-size must be at least 2");
                }
                this.senders = connections;
                this.users = users > 0 ? Math.min(users, connections) : connections;
            }
            case PRIVATE -> {
                if (connections % 2 != 0) {
                    throw new IllegalArgumentException("private needs an even number of --connections (pairs)");
                }
                if (users > 0 && users != connections) {
                    throw new IllegalArgumentException("private needs one user per connection; omit --users");
                }
                this.senders = connections;
                this.users = connections;
            }
            default -> {
                this.senders = 0;
                this.users = users > 0 ? Math.min(users, connections) : connections;
            }
        }
        this.room = room;
        this.roomSize = roomSize;
    }

    String user(int i) {
        return USER_PREFIX + (i % users);
    }

    /** The room connection {@code i} joins, or null. */
    String room(int i) {
        return switch (scenario) {
            case FANOUT -> room;
            case ROOMS -> room + '-' + (i / roomSize);
            default -> null;
        };
    }

    /** The lowest sender number connection {@code i} can receive from. */
    int senderBase(int i) {
        return switch (scenario) {
            case ROOMS -> i / roomSize * roomSize;
            case PRIVATE -> partner(i);
            default -> 0;
        };
    }

    /** How many consecutive sender numbers, from {@link #senderBase}, connection {@code i} can receive from. */
    int senderSlots(int i) {
        return switch (scenario) {
            case FANOUT -> senders;
            case ROOMS -> membersOfRoomOf(i);
            case PRIVATE -> 1;
            default -> 0;
        };
    }

    /** Deliveries one message from connection {@code i} should produce. */
    int recipients(int i) {
        return switch (scenario) {
            case FANOUT -> connections - 1; // everyone in the room but the sending connection
            case ROOMS -> membersOfRoomOf(i) - 1;
            case PRIVATE -> 1;
            default -> 0;
        };
    }

    /** Private only: the other connection of {@code i}'s pair. */
    int partner(int i) {
        return i ^ 1;
    }

    /** The connection that sends message {@code k} of the schedule: senders take turns. */
    int senderOf(long k) {
        return (int) (k % senders);
    }

    int roomCount() {
        return switch (scenario) {
            case FANOUT -> 1;
            case ROOMS -> (connections + roomSize - 1) / roomSize;
            default -> 0;
        };
    }

    private int membersOfRoomOf(int i) {
        int first = i / roomSize * roomSize;
        return Math.min(roomSize, connections - first);
    }
}
