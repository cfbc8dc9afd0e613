package io.chatd.core.store;

import java.util.Objects;

/**
 * The client id of an acknowledged send, remembered so that a resend returns the original ack: {@code user}
 * sent it with id {@code clientId} at {@code ts}; {@code seq} is the room or conversation seq the ack
 * carried, and {@code stored} whether the ack said the private message was stored for an offline user.
 */
public record SentId(String user, String clientId, long ts, long seq, boolean stored) {
    public SentId {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(clientId, "clientId");
    }
}
