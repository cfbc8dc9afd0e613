package io.chatd.core.store;

import java.util.Objects;

/**
 * A private message stored for a recipient who had no connection. {@code id} is assigned by chat-core, unique
 * and increasing in store order; {@code seq} is the message's number in the conversation between
 * {@code from} and {@code to}.
 */
public record PrivateMessage(long id, String from, String to, long seq, long ts, String content) {
    public PrivateMessage {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(content, "content");
    }
}
