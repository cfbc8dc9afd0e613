package io.chatd.core;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps silent connections honest. After {@link ChatConfig#pingInterval()} without a frame from the client, the
 * server sends a protocol ping (browsers answer by themselves); a connection still silent at
 * {@link ChatConfig#idleTimeout()} is closed with {@link CloseCodes#IDLE_TIMEOUT}. Before the upgrade there is
 * nothing to ping: an idle HTTP connection is simply closed at the idle timeout.
 *
 * <p>One Netty timer per connection (the reader-idle check) and a second one only while a ping is unanswered:
 * idle connections are what a chat server holds most of.
 */
final class HeartbeatHandler extends IdleStateHandler {

    private final long unansweredMillis;
    private final ChatStats stats;
    private boolean upgraded;
    /** The close after an unanswered ping; null while the client is talking. */
    private ScheduledFuture<?> closeIfStillSilent;

    HeartbeatHandler(ChatConfig config, ChatStats stats) {
        super(config.pingInterval().toMillis(), 0, 0, TimeUnit.MILLISECONDS);
        this.unansweredMillis = config.idleTimeout().minus(config.pingInterval()).toMillis();
        this.stats = stats;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (closeIfStillSilent != null) {
            closeIfStillSilent.cancel(false);
            closeIfStillSilent = null;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HandshakeComplete) {
            upgraded = true;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() != IdleState.READER_IDLE || !evt.isFirst() || closeIfStillSilent != null) {
            return;
        }
        if (upgraded) {
            ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
        }
        closeIfStillSilent = ctx.executor().schedule(() -> {
            closeIfStillSilent = null;
            if (upgraded) {
                stats.idleDisconnects.increment();
                Disconnect.close(ctx.channel(), CloseCodes.IDLE_TIMEOUT, "idle timeout");
            } else {
                ctx.close();
            }
        }, unansweredMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
        if (closeIfStillSilent != null) {
            closeIfStillSilent.cancel(false);
            closeIfStillSilent = null;
        }
        super.handlerRemoved(ctx);
    }
}
