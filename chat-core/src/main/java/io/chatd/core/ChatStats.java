package io.chatd.core;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link Chat}, safe to read from any thread. They only grow; a metrics system turns them
 * into rates.
 */
public final class ChatStats {

    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder roomMessages = new LongAdder();
    final LongAdder privateMessages = new LongAdder();
    final LongAdder deliveries = new LongAdder();
    final LongAdder presenceFrames = new LongAdder();
    final LongAdder errorsSent = new LongAdder();
    final LongAdder slowConsumerDisconnects = new LongAdder();
    final LongAdder idleDisconnects = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder floodDisconnects = new LongAdder();

    ChatStats() {
    }

    /** WebSocket connections that completed the handshake. */
    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    /** Text frames received from clients. */
    public long messagesReceived() {
        return messagesReceived.sum();
    }

    /** Room messages published (by clients or through {@link Chat#broadcast}). */
    public long roomMessages() {
        return roomMessages.sum();
    }

    /** Private messages delivered to at least one connection. */
    public long privateMessages() {
        return privateMessages.sum();
    }

    /** Chat messages queued to a connection: one room message to N members counts N. */
    public long deliveries() {
        return deliveries.sum();
    }

    /**
     * Presence frames queued to connections ({@code join} and {@code leave} notices, gathered {@code presence}
     * frames): one frame to N members counts N. Grows linearly with arrivals, however big the room.
     */
    public long presenceFrames() {
        return presenceFrames.sum();
    }

    /** Error frames sent. */
    public long errorsSent() {
        return errorsSent.sum();
    }

    /** Connections closed because their unsent data passed the outbound cap. */
    public long slowConsumerDisconnects() {
        return slowConsumerDisconnects.sum();
    }

    /** Connections closed because they stayed silent past the idle timeout. */
    public long idleDisconnects() {
        return idleDisconnects.sum();
    }

    /** Requests refused with {@code rate_limited} (or dropped when closing a flooder). */
    public long rateLimited() {
        return rateLimited.sum();
    }

    /** Connections closed for flooding past the rate limit. */
    public long floodDisconnects() {
        return floodDisconnects.sum();
    }
}
