package io.chatd.core;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts WebSocket connections, in total and per client address, for {@link ChatConfig#maxConnections()} and
 * {@link ChatConfig#maxConnectionsPerIp()}. A slot is taken when a handshake passes the gate and given back
 * when the channel closes, whatever happened in between ({@link ChatFrameHandler} holds it: a field costs an
 * idle connection less than a channel attribute and a close listener). Safe from every event loop.
 */
final class ConnectionLimiter {

    enum Refusal { SERVER_FULL, ADDRESS_FULL }

    private static final String ANY_ADDRESS = "*";

    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();

    ConnectionLimiter(int maxTotal, int maxPerAddress) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    /**
     * Takes a slot for a connection from {@code address}; returns null on success, else why not. The caller owns
     * the slot and gives it back with {@link #release} exactly once (its channel's handler does, at close).
     */
    Refusal acquire(String address) {
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
        return null;
    }

    /**
     * What the holder of a slot for {@code address} keeps to give it back with: the address when slots are counted
     * per address, else one shared string, which saves every connection its own copy of the address.
     */
    String slotFor(String address) {
        return maxPerAddress > 0 ? address : ANY_ADDRESS;
    }

    /** Gives back a slot taken by {@link #acquire} for {@code address} (or {@link #slotFor} it). */
    void release(String address) {
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
