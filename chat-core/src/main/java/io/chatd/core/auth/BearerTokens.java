package io.chatd.core.auth;

import io.chatd.core.IdentityException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the bearer token of a WebSocket handshake. Browsers cannot set headers on a WebSocket, so three carriers
 * are accepted, safest first:
 * <ol>
 *   <li>{@code Authorization: Bearer TOKEN}, for clients that can set headers;</li>
 *   <li>{@code Sec-WebSocket-Protocol: chatd, bearer.TOKEN}: a browser passes
 *       {@code new WebSocket(url, ["chatd", "bearer." + token])}; the server selects and echoes {@code chatd},
 *       never the token;</li>
 *   <li>{@code ?token=TOKEN}: the least safe, since URLs end up in proxy and browser logs.</li>
 * </ol>
 * A request carrying more than one token is refused: which one would win is not something a client should guess.
 */
public final class BearerTokens {

    /** The subprotocol a token-carrying browser offers alongside {@code bearer.TOKEN}, and that the server echoes. */
    public static final String SUBPROTOCOL = "chatd";
    /** Prefix of the {@code Sec-WebSocket-Protocol} entry that carries the token. */
    public static final String SUBPROTOCOL_PREFIX = "bearer.";

    private BearerTokens() {
    }

    /**
     * The request's token, or null when it carries none.
     *
     * @throws IdentityException (400) when it carries more than one, or an {@code Authorization} header that is
     *                           not a bearer token
     */
    public static String find(HttpRequest request) throws IdentityException {
        List<String> found = new ArrayList<>(1);
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() == 7) {
                throw new IdentityException(HttpResponseStatus.BAD_REQUEST, "Authorization must be \"Bearer TOKEN\"");
            }
            found.add(authorization.substring(7).trim());
        }
        for (String header : request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
            for (String protocol : header.split(",")) {
                String p = protocol.trim();
                if (p.startsWith(SUBPROTOCOL_PREFIX) && p.length() > SUBPROTOCOL_PREFIX.length()) {
                    found.add(p.substring(SUBPROTOCOL_PREFIX.length()));
                }
            }
        }
        List<String> query = new QueryStringDecoder(request.uri()).parameters().get("token");
        if (query != null) {
            found.addAll(query);
        }
        if (found.size() > 1) {
            throw new IdentityException(HttpResponseStatus.BAD_REQUEST, "more than one token in the request");
        }
        return found.isEmpty() || found.get(0).isEmpty() ? null : found.get(0);
    }

    /**
     * Removes the {@code bearer.TOKEN} entries from the request's {@code Sec-WebSocket-Protocol}, so that the token
     * travels no further than the identity check (Netty's handshaker would otherwise see, and may debug-log, it).
     */
    public static void stripFromSubprotocols(HttpRequest request) {
        List<String> headers = request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (headers.isEmpty()) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String header : headers) {
            for (String protocol : header.split(",")) {
                String p = protocol.trim();
                if (!p.isEmpty() && !p.startsWith(SUBPROTOCOL_PREFIX)) {
                    kept.add(p);
                }
            }
        }
        request.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (!kept.isEmpty()) {
            request.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, String.join(", ", kept));
        }
    }
}
