package io.chatd.core;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which browser origins may open a WebSocket. Browsers send {@code Origin} on every WebSocket handshake,
 * so this is what stops another site's page from chatting with a visitor's identity (cross-site WebSocket
 * hijacking). Requests without {@code Origin} come from non-browser clients and are always allowed.
 */
public final class OriginPolicy {

    private final boolean any;
    private final Set<String> allowed;

    private OriginPolicy(boolean any, Set<String> allowed) {
        this.any = any;
        this.allowed = allowed;
    }

    /** Allows origins whose host and port equal the request's {@code Host} header. The default. */
    public static OriginPolicy sameHost() {
        return new OriginPolicy(false, Set.of());
    }

    /** Allows every origin. */
    public static OriginPolicy any() {
        return new OriginPolicy(true, Set.of());
    }

    /**
     * Allows the same host plus each listed origin, such as {@code https://chat.example.com}; an entry
     * {@code *} allows every origin.
     */
    public static OriginPolicy of(List<String> origins) {
        if (origins.contains("*")) {
            return any();
        }
        return new OriginPolicy(false, origins.stream()
                .map(o -> o.trim().toLowerCase(Locale.ROOT))
                .map(o -> o.endsWith("/") ? o.substring(0, o.length() - 1) : o)
                .collect(Collectors.toUnmodifiableSet()));
    }

    /** Whether the request may upgrade. */
    public boolean allows(HttpRequest request) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null || any) {
            return true;
        }
        String normalized = origin.trim().toLowerCase(Locale.ROOT);
        return allowed.contains(normalized) || isSameHost(normalized, request.headers().get(HttpHeaderNames.HOST));
    }

    private static boolean isSameHost(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI uri = new URI(origin);
            if (uri.getHost() == null) {
                return false;
            }
            String originHost = uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ':' + uri.getPort();
            String requestHost = host.trim().toLowerCase(Locale.ROOT);
            return originHost.equals(requestHost) || originHost.equals(stripDefaultPort(requestHost, uri.getScheme()));
        } catch (Exception e) {
            return false;
        }
    }

    private static String stripDefaultPort(String host, String scheme) {
        if (("http".equals(scheme) && host.endsWith(":80")) || ("https".equals(scheme) && host.endsWith(":443"))) {
            return host.substring(0, host.lastIndexOf(':'));
        }
        return host;
    }

    @Override
    public String toString() {
        return any ? "any" : allowed.isEmpty() ? "same-host" : "same-host+" + allowed;
    }
}
