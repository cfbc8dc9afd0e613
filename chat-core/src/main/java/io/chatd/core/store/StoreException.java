package io.chatd.core.store;

/**
 * A store could not be opened, read or written. The message is one line meant for an operator. Unchecked, so
 * that {@code Chat.create} can report a store that does not open without changing its signature.
 */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
