package io.chatd.core.cluster;

import java.util.Objects;

/** The client id of a send and a digest of what it sends, for idempotent resends across nodes. */
public record SendId(String user, String clientId, long digest) {
    public SendId {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(clientId, "clientId");
    }
}
