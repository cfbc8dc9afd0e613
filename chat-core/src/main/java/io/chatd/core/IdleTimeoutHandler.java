package io.chatd.core;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that sent nothing, not even a pong, for {@link ChatConfig#idleTimeout()}, with close code
 * {@link CloseCodes#IDLE_TIMEOUT}. The heartbeat pings well before that, so a live client never gets here.
 */
final class IdleTimeoutHandler extends ReadTimeoutHandler {

    private final ChatStats stats;

    IdleTimeoutHandler(long timeoutMillis, ChatStats stats) {
        super(timeoutMillis, TimeUnit.MILLISECONDS);
        this.stats = stats;
    }

    @Override
    protected void readTimedOut(ChannelHandlerContext ctx) {
        stats.idleDisconnects.increment();
        Disconnect.close(ctx.channel(), CloseCodes.IDLE_TIMEOUT, "idle timeout");
    }
}
