package io.chatd.core;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Decides who a WebSocket handshake request belongs to. It runs on the connection's event loop before the
 * upgrade, so it must not block. The default takes {@code ?user=} on trust
 * ({@link QueryParameterIdentityResolver}); {@link io.chatd.core.auth.JwtIdentityResolver} verifies signed tokens.
 */
@FunctionalInterface
public interface IdentityResolver {

    /**
     * Returns the identity of the request.
     *
     * @throws IdentityException when the request names no acceptable user; its status is sent back
     *                           and the upgrade does not happen
     */
    Identity resolve(HttpRequest request) throws IdentityException;

    /**
     * Verifies a credential an open connection sent in an {@code {"type":"auth","token":"…"}} frame to extend its
     * session. The default refuses: resolvers that take no tokens have nothing to refresh.
     *
     * @throws IdentityException when the token is not acceptable
     */
    default Identity refresh(String token) throws IdentityException {
        throw new IdentityException(HttpResponseStatus.BAD_REQUEST, "this server does not use tokens");
    }
}
