package io.chatd.core;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that is still plain HTTP (no WebSocket upgrade yet) after {@link ChatConfig#idleTimeout()}
 * without a read: there is nothing to ping before the upgrade. {@link ChatFrameHandler} removes it at the upgrade,
 * when the loop's {@link Heartbeats} take over the connection, so that an open WebSocket carries no timer of its
 * own.
 */
final class HttpIdleHandler extends IdleStateHandler {

    HttpIdleHandler(ChatConfig config) {
        super(config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        ctx.close();
    }
}
