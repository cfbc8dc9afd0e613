package io.chatd.core;

import io.netty.handler.codec.http.HttpRequest;

/**
 * Decides who a WebSocket handshake request belongs to. It runs on the connection's event loop before the
 * upgrade, so it must not block. Swap it to authenticate users another way (tokens, cookies...).
 */
@FunctionalInterface
public interface IdentityResolver {

    /**
     * Returns the user id of the request.
     *
     * @throws IdentityException when the request names no acceptable user; its status is sent back
     *                           and the upgrade does not happen
     */
    String resolve(HttpRequest request) throws IdentityException;
}
