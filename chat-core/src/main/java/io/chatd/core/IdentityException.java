package io.chatd.core;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Objects;

/** Thrown by an {@link IdentityResolver} to refuse a handshake with an HTTP status and a reason. */
public final class IdentityException extends Exception {

    private final HttpResponseStatus status;

    public IdentityException(HttpResponseStatus status, String reason) {
        super(reason, null, false, false);
        this.status = Objects.requireNonNull(status, "status");
    }

    /** The HTTP status sent to the client, for example 400 or 401. */
    public HttpResponseStatus status() {
        return status;
    }
}
