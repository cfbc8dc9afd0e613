package io.chatd.bench;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * The server under test: a {@code ws://} URL whose host resolves to loopback only. The bench opens thousands of
 * connections at full speed, so it refuses anything that could leave the machine.
 */
final class Target {

    final InetSocketAddress address;
    /** Value of the Host header, as written in the URL. */
    final String hostHeader;
    /** Path and query of the URL, to which {@code user=NAME} is appended. */
    final String pathAndQuery;

    private Target(InetSocketAddress address, String hostHeader, String pathAndQuery) {
        this.address = address;
        this.hostHeader = hostHeader;
        this.pathAndQuery = pathAndQuery;
    }

    /** Parses and checks {@code url}; throws {@link IllegalArgumentException} saying why it is refused. */
    static Target parse(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + url);
        }
        if (!"ws".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("only ws:// URLs are supported: " + url);
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("no user info allowed in " + url);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("no host in " + url);
        }
        InetAddress[] resolved;
        try {
            resolved = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve " + host);
        }
        // Every address must be loopback: a name that also resolves elsewhere could be connected to elsewhere.
        for (InetAddress a : resolved) {
            if (!isLoopback(a)) {
                throw new IllegalArgumentException("refusing non-loopback target " + host + " (" + a.getHostAddress()
                        + "): the bench only drives servers on 127.0.0.0/8 or ::1");
            }
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String pathAndQuery = uri.getRawQuery() == null ? path : path + '?' + uri.getRawQuery();
        String hostHeader = uri.getRawAuthority();
        return new Target(new InetSocketAddress(resolved[0], port), hostHeader, pathAndQuery);
    }

    /** 127.0.0.0/8 or ::1 (Java maps ::ffff:127.x to an Inet4Address already). */
    static boolean isLoopback(InetAddress a) {
        if (a instanceof Inet4Address) {
            return (a.getAddress()[0] & 0xFF) == 127;
        }
        return a.isLoopbackAddress();
    }

    boolean isIpv4() {
        return address.getAddress() instanceof Inet4Address;
    }

    /** The raw HTTP upgrade request for {@code user}, with the given {@code Sec-WebSocket-Key}. */
    byte[] upgradeRequest(String user, String key) {
        String sep = pathAndQuery.indexOf('?') < 0 ? "?" : "&";
        String request = "GET " + pathAndQuery + sep + "user=" + user + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n";
        return request.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "ws://" + hostHeader + pathAndQuery;
    }
}
