package io.chatd.core;

/** A request the server refuses with an {@code error} frame; the connection stays open. */
final class RequestException extends Exception {

    final ErrorCode code;
    final String requestId;

    RequestException(ErrorCode code, String message, String requestId) {
        super(message, null, false, false); // control flow, not a failure: no stack trace
        this.code = code;
        this.requestId = requestId;
    }
}
