package io.chatd.core;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose unsent outbound data passed the write buffer's high water mark
 * ({@link ChatConfig#maxOutboundBytes()}) even after a flush to the socket, with close code
 * {@link CloseCodes#SLOW_CONSUMER}. Writers never wait for a slow reader: they queue and move on, and this check
 * bounds the queue.
 *
 * <p>Not a handler of its own: {@link ChatFrameHandler} calls it when the channel's writability changes, which
 * saves every connection a pipeline context.
 */
final class SlowConsumers {

    private static final Logger log = LoggerFactory.getLogger(SlowConsumers.class);

    private SlowConsumers() {
    }

    /**
     * Whether the channel, just reported unwritable, is a slow consumer, in which case it is being closed. Pending
     * bytes include frames still waiting for the loop's flush pass: the client is only slow if they do not fit in
     * the socket either, so this flushes first.
     */
    static boolean evictIfStillUnwritable(Channel channel, ChatStats stats) {
        if (channel.isWritable() || !channel.isActive()) {
            return false;
        }
        channel.flush();
        if (channel.isWritable()) {
            return false;
        }
        stats.slowConsumerDisconnects.increment();
        ChannelOutboundBuffer unsent = channel.unsafe().outboundBuffer();
        log.info("closing slow consumer {}: {} bytes unsent", channel.id(),
                unsent == null ? 0 : unsent.totalPendingWriteBytes());
        Disconnect.close(channel, CloseCodes.SLOW_CONSUMER, "slow consumer");
        return true;
    }
}
