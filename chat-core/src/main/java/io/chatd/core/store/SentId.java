package io.chatd.core.store;

import java.util.Objects;

/**
 * The client id of an acknowledged send, remembered so that a resend returns the original ack: {@code user}
 * sent it with id {@code clientId} at {@code ts}; {@code seq} is the room or conversation seq the ack
 * carried, and {@code stored} whether the ack said the private message was stored for an offline user.
 * {@code digest} identifies what was sent (type, target, content), so that the same id with other content is
 * refused rather than taken for a resend; 0 when unknown (a store written before digests were kept).
 */
public record SentId(String user, String clientId, long ts, long seq, boolean stored, long digest) {
    public SentId {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(clientId, "clientId");
    }

    /** A sent id whose content digest is unknown: any resend with the same id matches it. */
    public SentId(String user, String clientId, long ts, long seq, boolean stored) {
        this(user, clientId, ts, seq, stored, 0);
    }
}
