package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import java.util.Collection;

/**
 * Sends every connection away with a close code that asks it to reconnect, each told first, in a {@code reconnect}
 * frame, over what window to spread its reconnect. A server going away knows how many clients it sends back at
 * once; left to their backoff they all come back within half a second, and a fresh JVM (700 to 1500 handshakes a
 * second on one core while its JIT warms up) queued 10,000 of them for 9 s (issue 11). Spread over
 * connections / {@link ChatConfig#reconnectRate()} seconds they arrive at a rate the new server takes.
 */
final class ReconnectAdvice {

    /** Shortest window: the web client's first retry waits up to 0.5 s anyway, so a small server's clients come back at once. */
    static final long MIN_WINDOW_MILLIS = 500;
    /** Longest window: past a minute away, people notice more than a slow restart would have cost them. */
    static final long MAX_WINDOW_MILLIS = 60_000;

    private ReconnectAdvice() {
    }

    /** The window for {@code connections} clients at {@code perSecond} handshakes a second, within the bounds above. */
    static long windowMillis(int connections, int perSecond) {
        long millis = (connections * 1000L + perSecond - 1) / perSecond; // rounded up
        return Math.max(MIN_WINDOW_MILLIS, Math.min(MAX_WINDOW_MILLIS, millis));
    }

    /**
     * Writes the {@code reconnect} frame, then closes with {@code code}, to every channel; the frame is encoded once
     * for all (O(connections) writes, one buffer). With {@code awaitReply} each client's answering close frame ends
     * its connection ({@link Disconnect#closeAwaitingReply}). A connection whose close frame already went out gets
     * no frame after it.
     */
    static void sendAway(Collection<Channel> channels, int perSecond, int code, String reason, boolean awaitReply) {
        ByteBuf advice = ServerMessages.reconnect(ByteBufAllocator.DEFAULT, windowMillis(channels.size(), perSecond));
        try {
            for (Channel ch : channels) {
                if (ch.isActive() && ch.attr(Disconnect.CLOSE_SENT).get() == null) {
                    // Written from this thread before the close frame below, so it reaches the loop's queue first.
                    ch.write(advice.retainedDuplicate(), ch.voidPromise());
                }
                if (awaitReply) {
                    Disconnect.closeAwaitingReply(ch, code, reason);
                } else {
                    Disconnect.close(ch, code, reason);
                }
            }
        } finally {
            advice.release();
        }
    }
}
