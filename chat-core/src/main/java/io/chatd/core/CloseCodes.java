package io.chatd.core;

/**
 * WebSocket close codes the server sends, and whether a client should reconnect after each. Standard codes
 * come from RFC 6455 section 7.4.1; 4000-4999 are ours. {@code docs/protocol.md} has the same table.
 */
public final class CloseCodes {

    /** Normal closure, after the client asked to close. Reconnect: no need. */
    public static final int NORMAL = 1000;
    /** The server is shutting down or restarting. Reconnect: yes, with backoff. */
    public static final int GOING_AWAY = 1001;
    /** The client broke RFC 6455 (reserved bits, unmasked frame...). Reconnect: no, fix the client. */
    public static final int PROTOCOL_ERROR = 1002;
    /** The client sent a binary frame; the protocol is JSON text. Reconnect: no, fix the client. */
    public static final int UNSUPPORTED_DATA = 1003;
    /** A text frame was not valid UTF-8. Reconnect: no, fix the client. */
    public static final int INVALID_PAYLOAD = 1007;
    /** The client broke a server policy. Reconnect: no. */
    public static final int POLICY_VIOLATION = 1008;
    /** A frame or message was larger than the server's limit. Reconnect: no, send smaller messages. */
    public static final int MESSAGE_TOO_BIG = 1009;
    /** The server failed unexpectedly. Reconnect: yes, with backoff. */
    public static final int INTERNAL_ERROR = 1011;
    /**
     * The cluster's numbering restarted (its Redis lost its data). Reconnect: yes, with backoff; the welcome's new
     * epoch tells the client to resume with {@code recovered:false}.
     */
    public static final int SERVICE_RESTART = 1012;
    /** The client read too slowly and its unsent data passed the server's cap. Reconnect: yes, with backoff. */
    public static final int SLOW_CONSUMER = 4000;
    /** The client stayed silent (no frame, no pong) past the idle timeout. Reconnect: yes. */
    public static final int IDLE_TIMEOUT = 4001;
    /** The connection's token expired and no fresh one came in an {@code auth} frame. Reconnect: yes, with a fresh token. */
    public static final int TOKEN_EXPIRED = 4002;
    /** The client kept sending past the rate limit after being told to slow down. Reconnect: yes, after a pause, slower. */
    public static final int FLOODING = 4003;

    private CloseCodes() {
    }
}
