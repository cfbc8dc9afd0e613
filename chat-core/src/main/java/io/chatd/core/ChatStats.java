package io.chatd.core;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;

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
    /** With a cluster: messages read from a room's history to fill a gap in what the subscription delivered. */
    final LongAdder clusterGapFilled = new LongAdder();
    /** With a cluster: seqs of a gap the history no longer had, skipped. */
    final LongAdder clusterGapLost = new LongAdder();
    final LongAdder errorsSent = new LongAdder();
    final LongAdder slowConsumerDisconnects = new LongAdder();
    final LongAdder idleDisconnects = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder floodDisconnects = new LongAdder();
    private final LongAdder[] errorsByCode = adders(ErrorCode.values().length);
    private final LongAdder[] disconnectsByReason = adders(DisconnectReason.values().length);
    private final LongAdder[] handshakesByResult = adders(HandshakeResult.values().length);
    final LongAdder storeCommits = new LongAdder();
    /** Set by {@link Chat} once its store thread exists. */
    volatile IntSupplier storeQueue = () -> 0;
    private volatile LongConsumer storeCommitObserver = nanos -> { };

    /** Why a WebSocket connection ended, as the metrics label it. */
    public enum DisconnectReason {
        /** 4000: its unsent data passed the outbound cap. */
        SLOW_CONSUMER,
        /** 4001: silent past the idle timeout. */
        IDLE,
        /** 4003: kept sending past the rate limit. */
        FLOOD,
        /** 4002: its token expired. */
        TOKEN_EXPIRED,
        /** 1002, 1003, 1007, 1009: it broke the WebSocket protocol or a size limit. */
        PROTOCOL,
        /** 1011: the server failed handling it. */
        INTERNAL,
        /** The client closed, or the connection dropped. */
        CLIENT,
        /** 1001: the server shut down. */
        SHUTDOWN,
        /** 1012: the cluster's Redis came back without its data, so numbering restarted. */
        CLUSTER_RESTART,
        /** Closed by an operator (the admin API's disconnect: 1008 or a code of their choice). */
        ADMIN;

        private final String label = name().toLowerCase(java.util.Locale.ROOT);

        /** The label value, e.g. {@code slow_consumer}. */
        public String label() {
            return label;
        }

        static DisconnectReason ofServerCode(int code) {
            return switch (code) {
                case CloseCodes.SLOW_CONSUMER -> SLOW_CONSUMER;
                case CloseCodes.IDLE_TIMEOUT -> IDLE;
                case CloseCodes.FLOODING -> FLOOD;
                case CloseCodes.TOKEN_EXPIRED -> TOKEN_EXPIRED;
                case CloseCodes.GOING_AWAY -> SHUTDOWN;
                case CloseCodes.SERVICE_RESTART -> CLUSTER_RESTART;
                case CloseCodes.INTERNAL_ERROR -> INTERNAL;
                case CloseCodes.PROTOCOL_ERROR, CloseCodes.UNSUPPORTED_DATA, CloseCodes.INVALID_PAYLOAD,
                        CloseCodes.MESSAGE_TOO_BIG -> PROTOCOL;
                default -> ADMIN;
            };
        }
    }

    /** How a WebSocket handshake ended: accepted, or the HTTP status it was refused with. */
    public enum HandshakeResult {
        OK("ok"), BAD_REQUEST("400"), UNAUTHORIZED("401"), FORBIDDEN("403"), METHOD_NOT_ALLOWED("405"),
        UPGRADE_REQUIRED("426"), TOO_MANY_REQUESTS("429"), SERVICE_UNAVAILABLE("503");

        private final String label;

        HandshakeResult(String label) {
            this.label = label;
        }

        /** The label value: {@code ok} or the status code. */
        public String label() {
            return label;
        }

        static HandshakeResult ofStatus(int status) {
            return switch (status) {
                case 401 -> UNAUTHORIZED;
                case 403 -> FORBIDDEN;
                case 405 -> METHOD_NOT_ALLOWED;
                case 426 -> UPGRADE_REQUIRED;
                case 429 -> TOO_MANY_REQUESTS;
                case 503 -> SERVICE_UNAVAILABLE;
                default -> BAD_REQUEST;
            };
        }
    }

    ChatStats() {
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] adders = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            adders[i] = new LongAdder();
        }
        return adders;
    }

    void errorSent(ErrorCode code) {
        errorsSent.increment();
        errorsByCode[code.ordinal()].increment();
    }

    void disconnected(DisconnectReason reason) {
        disconnectsByReason[reason.ordinal()].increment();
    }

    void handshake(HandshakeResult result) {
        handshakesByResult[result.ordinal()].increment();
    }

    void storeCommitted(long nanos) {
        storeCommits.increment();
        storeCommitObserver.accept(nanos);
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

    /**
     * With a cluster: room messages this node missed on its subscription (a broken link) and read from the room's
     * history instead; each was then delivered as usual.
     */
    public long clusterGapFilled() {
        return clusterGapFilled.sum();
    }

    /** With a cluster: seqs missed on the subscription that the history no longer had (trimmed or expired). */
    public long clusterGapLost() {
        return clusterGapLost.sum();
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

    /** Error frames sent with {@code code}. */
    public long errorsSent(ErrorCode code) {
        return errorsByCode[code.ordinal()].sum();
    }

    /** WebSocket connections that ended for {@code reason}. */
    public long disconnects(DisconnectReason reason) {
        return disconnectsByReason[reason.ordinal()].sum();
    }

    /** WebSocket handshakes that ended with {@code result}. */
    public long handshakes(HandshakeResult result) {
        return handshakesByResult[result.ordinal()].sum();
    }

    /** Store transactions committed (each a group of writes). */
    public long storeCommits() {
        return storeCommits.sum();
    }

    /** Operations waiting for the store thread now. */
    public int storeQueue() {
        return storeQueue.getAsInt();
    }

    /**
     * Registers the one observer of store commit durations (nanoseconds), for a metrics system's histogram. It
     * runs on the store thread after each commit, so it must be quick and must not block.
     */
    public void observeStoreCommits(LongConsumer observer) {
        storeCommitObserver = java.util.Objects.requireNonNull(observer, "observer");
    }
}
