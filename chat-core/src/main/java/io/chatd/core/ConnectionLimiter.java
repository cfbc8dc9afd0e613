package io.chatd.core;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts WebSocket connections, in total and per client address, for {@link ChatConfig#maxConnections()} and
 * {@link ChatConfig#maxConnectionsPerIp()}. A slot is taken when a handshake passes the gate and given back
 * when the channel closes, whatever happened in between. Safe from every event loop.
 */
final class ConnectionLimiter {

    enum Refusal { SERVER_FULL, ADDRESS_FULL }

    private static final AttributeKey<String> SLOT = AttributeKey.valueOf(ConnectionLimiter.class, "slot");

    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();

    ConnectionLimiter(int maxTotal, int maxPerAddress) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    /** Takes a slot for the channel (once per channel); returns null on success, else why not. */
    Refusal acquire(Channel channel, String address) {
        if (channel.hasAttr(SLOT) && channel.attr(SLOT).get() != null) {
            return null;
        }
        if (total.incrementAndGet() > maxTotal && maxTotal > 0) {
            total.decrementAndGet();
            return Refusal.SERVER_FULL;
        }
        if (maxPerAddress > 0) {
            boolean[] refused = {false};
            perAddress.compute(address, (key, count) -> {
                int current = count == null ? 0 : count;
                if (current >= maxPerAddress) {
                    refused[0] = true;
                    return count;
                }
                return current + 1;
            });
            if (refused[0]) {
                total.decrementAndGet();
                return Refusal.ADDRESS_FULL;
            }
        }
        channel.attr(SLOT).set(address);
        channel.closeFuture().addListener(f -> release(address));
        return null;
    }

    private void release(String address) {
        total.decrementAndGet();
        if (maxPerAddress > 0) {
            perAddress.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
        }
    }

    /** Connections holding a slot. */
    int count() {
        return total.get();
    }

    /** Addresses with at least one slot, for tests: the map must empty itself. */
    int addressCount() {
        return perAddress.size();
    }
}
