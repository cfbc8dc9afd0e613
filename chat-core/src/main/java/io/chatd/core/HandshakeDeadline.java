package io.chatd.core;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that is still plain HTTP {@link ChatConfig#handshakeTimeout()} after it was accepted: a
 * client must upgrade by then, however it trickles its request, and a keep-alive HTTP connection (the web client,
 * health probes) is opened again by its client. {@link WebSocketUpgrade} removes it, when the loop's
 * {@link Heartbeats} take over the connection, so that an open WebSocket carries no timer of its own.
 */
final class HandshakeDeadline extends ChannelInboundHandlerAdapter {

    private final long timeoutNanos;
    private Future<?> timer;

    HandshakeDeadline(ChatConfig config) {
        this.timeoutNanos = config.handshakeTimeout().toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) { // an accepted channel is active before its pipeline is built
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private void start(ChannelHandlerContext ctx) {
        if (timer == null) {
            timer = ctx.executor().schedule(() -> { ctx.close(); }, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }
}
