package io.chatd.core.cluster;

/** What a send through a {@link Cluster} did; {@code seq}, {@code ts} and {@code stored} are for the ack. */
public record Sent(Outcome outcome, long seq, long ts, boolean stored) {

    public enum Outcome {
        /** Numbered, stored and published now. */
        NEW,
        /** The same id and content were sent within the dedup window: the fields are the original's. */
        RESEND,
        /** The same id was sent with other content within the dedup window: nothing was done. */
        CONFLICT,
        /** A private message to a user with no connection anywhere, and offline storage is off: nothing was done. */
        OFFLINE
    }
}
