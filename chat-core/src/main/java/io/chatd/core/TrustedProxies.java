package io.chatd.core;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The reverse proxies whose {@code X-Forwarded-For} the server believes, as addresses or CIDR blocks. A client
 * address is used for per-address connection limits only; it is never shown to other users. Without trusted
 * proxies the header is ignored: anyone can send it.
 */
public final class TrustedProxies {

    private static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Block> blocks;

    private TrustedProxies(List<Block> blocks) {
        this.blocks = blocks;
    }

    /** Trusts no proxy: the client address is always the socket's peer. The default. */
    public static TrustedProxies none() {
        return NONE;
    }

    /**
     * Trusts each entry: an IP address ({@code 10.0.0.5}, {@code ::1}) or a CIDR block ({@code 10.0.0.0/8}).
     *
     * @throws IllegalArgumentException for an entry that is neither (host names are refused: no DNS here)
     */
    public static TrustedProxies of(List<String> entries) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : entries) {
            blocks.add(Block.parse(Objects.requireNonNull(entry, "entry").trim()));
        }
        return blocks.isEmpty() ? NONE : new TrustedProxies(List.copyOf(blocks));
    }

    boolean trusts(InetAddress address) {
        for (Block block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client's address: the socket peer, or, when the peer is a trusted proxy, the rightmost
     * {@code X-Forwarded-For} entry that is not itself a trusted proxy. Entries left of an untrusted one are
     * whatever the client wrote, so they are never used.
     */
    String clientAddress(SocketAddress peer, HttpHeaders headers) {
        if (!(peer instanceof InetSocketAddress) || ((InetSocketAddress) peer).getAddress() == null) {
            return String.valueOf(peer);
        }
        InetAddress address = ((InetSocketAddress) peer).getAddress();
        if (blocks.isEmpty() || !trusts(address)) {
            return address.getHostAddress();
        }
        List<String> hops = new ArrayList<>();
        for (String header : headers.getAll("X-Forwarded-For")) {
            for (String hop : header.split(",")) {
                hops.add(hop.trim());
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = NetUtil.isValidIpV4Address(hops.get(i)) || NetUtil.isValidIpV6Address(hops.get(i))
                    ? NetUtil.createInetAddressFromIpAddressString(hops.get(i)) : null;
            if (hop == null) {
                break; // garbage: the last address we could vouch for stands
            }
            address = hop;
            if (!trusts(hop)) {
                break;
            }
        }
        return address.getHostAddress();
    }

    @Override
    public String toString() {
        return blocks.isEmpty() ? "none" : blocks.toString();
    }

    private record Block(byte[] network, int prefix, String text) {
        static Block parse(String text) {
            int slash = text.indexOf('/');
            String address = slash < 0 ? text : text.substring(0, slash);
            byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
            if (bytes == null) {
                throw new IllegalArgumentException("not an IP address or CIDR block: " + text);
            }
            int prefix = bytes.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(text.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > bytes.length * 8) {
                    throw new IllegalArgumentException("bad CIDR prefix: " + text);
                }
            }
            return new Block(bytes, prefix, text);
        }

        boolean contains(InetAddress address) {
            byte[] bytes = address.getAddress();
            if (bytes.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (bytes[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (bytes[full] & mask) == (network[full] & mask);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
