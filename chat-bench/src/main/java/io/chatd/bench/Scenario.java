package io.chatd.bench;

import java.util.Locale;

/** The traffic shapes the bench can drive; {@link Topology} says who joins and sends what in each. */
enum Scenario {
    /** Everyone in one room, a few senders: measures broadcast fan-out. */
    FANOUT,
    /** Many small rooms, everyone sends a little: measures many independent rooms. */
    ROOMS,
    /** Pairs exchanging private messages: measures user lookup and one-to-one delivery. */
    PRIVATE,
    /** Connections that only hold: measures handshake rate and memory per connection. */
    IDLE,
    /**
     * Everyone connects at once and stays in the server's default room, retrying failed attempts with the web
     * client's backoff: handshakes/s and server CPU per handshake, on a fresh server (cold) and again (warm).
     */
    STORM,
    /** Holds {@code --connections}, then adds {@code --add} more: server RSS per added connection. */
    MEMORY,
    /**
     * Everyone connected and held; then the server restarts and every client reconnects with the web client's
     * backoff: the time until all are back.
     */
    RESTART;

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean sends() {
        return this == FANOUT || this == ROOMS || this == PRIVATE;
    }

    /** Whether connections stay in the rooms the server puts them in, as web clients do. */
    boolean keepsDefaultRooms() {
        return this == STORM || this == RESTART;
    }

    /** The connections a run opens when {@code --connections} is not given. */
    int defaultConnections() {
        return switch (this) {
            case STORM, RESTART -> 10_000;
            case MEMORY -> 5_000;
            default -> 1_000;
        };
    }
}
