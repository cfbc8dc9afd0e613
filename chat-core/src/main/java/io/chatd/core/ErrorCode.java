package io.chatd.core;

import java.util.Locale;

/** Codes of {@code error} frames. An error frame answers one request; the connection stays open. */
public enum ErrorCode {
    /** The frame is not a JSON object. */
    BAD_JSON,
    /** The {@code type} is not one the server knows. */
    UNKNOWN_TYPE,
    /** A field is missing, has the wrong JSON type, or a malformed value. */
    INVALID,
    /** The request names a room this connection has not joined. */
    NOT_IN_ROOM,
    /** A private message names a user with no open connection. */
    USER_OFFLINE,
    /** The content is longer than the server allows. */
    TOO_LONG,
    /**
     * The store could not take or read a message (overloaded or failing). Not acked: a room message may still
     * have reached the members who were online.
     */
    STORE_FAILED,
    /** The server failed to handle a valid request; it was not applied. */
    INTERNAL,
    /** The user's token does not allow the request (a room outside its rooms claim, a token for another user). */
    FORBIDDEN,
    /** An {@code auth} frame's token was refused (invalid, expired), or the server does not use tokens. */
    UNAUTHORIZED,
    /** The connection sent requests faster than the server's rate limit; this one was dropped. */
    RATE_LIMITED,
    /** The room has as many connections as the server allows. */
    ROOM_FULL,
    /** The connection is in as many rooms as the server allows. */
    TOO_MANY_ROOMS,
    /**
     * The {@code id} was already used by this user, within the dedup window, for a different message (other
     * content, room or recipient). Nothing was sent: send it again with a new id.
     */
    ID_CONFLICT,
    /**
     * A private message to an offline user was not stored: its sender already has as many messages waiting for
     * offline users as the server allows, or the server holds as many as it allows in total. Nothing was sent:
     * retry once recipients have connected.
     */
    OFFLINE_FULL;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The code as it appears on the wire, e.g. {@code bad_json}. */
    public String wireName() {
        return wireName;
    }
}
