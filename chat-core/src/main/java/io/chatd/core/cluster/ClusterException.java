package io.chatd.core.cluster;

/** The cluster could not be joined (unreachable, refused); the message is one line for the operator. */
public class ClusterException extends RuntimeException {

    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
