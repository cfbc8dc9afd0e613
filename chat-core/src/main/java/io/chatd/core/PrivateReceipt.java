package io.chatd.core;

/**
 * The outcome of {@link Chat#sendPrivate}: the message's conversation {@code seq} and {@code ts}, and whether it was
 * {@code stored} for a recipient with no connection (delivered on their next connect) rather than delivered live.
 */
public record PrivateReceipt(long seq, long ts, boolean stored) {
}
