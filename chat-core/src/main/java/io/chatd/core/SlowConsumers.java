package io.chatd.core;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose unsent outbound data passed the write buffer's high water mark
 * ({@link ChatConfig#maxOutboundBytes()}) even after a flush to the socket, with close code
 * {@link CloseCodes#SLOW_CONSUMER}. Writers never wait for a slow reader: they queue and move on, and this handler
 * bounds the queue.
 */
final class SlowConsumerHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SlowConsumerHandler.class);

    private final ChatStats stats;
    private boolean evicted;

    SlowConsumerHandler(ChatStats stats) {
        this.stats = stats;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable() && !evicted && ctx.channel().isActive()) {
            // Pending bytes include frames still waiting for the loop's flush pass: the client is only slow
            // if they do not fit in the socket either.
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                evict(ctx);
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void evict(ChannelHandlerContext ctx) {
        evicted = true;
        stats.slowConsumerDisconnects.increment();
        log.info("closing slow consumer {}: {} bytes unsent", ctx.channel().id(),
                ctx.channel().unsafe().outboundBuffer() == null ? 0
                        : ctx.channel().unsafe().outboundBuffer().totalPendingWriteBytes());
        Disconnect.close(ctx.channel(), CloseCodes.SLOW_CONSUMER, "slow consumer");
    }
}
