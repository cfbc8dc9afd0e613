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
    IDLE;

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean sends() {
        return this != IDLE;
    }
}
