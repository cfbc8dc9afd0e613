package io.chatd.core;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Closes a WebSocket with a close code, the one way the server ends a connection. */
final class Disconnect {

    /**
     * How long a close frame may wait behind unsent data before the socket is closed anyway: a client that
     * stopped reading would otherwise hold the connection open forever.
     */
    private static final long CLOSE_GRACE_MILLIS = 1000;
    /**
     * How long a flooder's socket stays open after its close frame, for the client to read it and close: longer
     * than the grace above, because this client is busy writing and its reads may lag.
     */
    private static final long LINGER_MILLIS = 3000;

    private Disconnect() {
    }

    /** Sends a close frame with {@code code}, then closes; safe from any thread and idempotent enough. */
    static void close(Channel channel, int code, String reason) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        ScheduledFuture<?> forced = channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> forced.cancel(false));
    }

    /**
     * Like {@link #close}, for a peer that is still sending (a flooder, an oversized or broken message): closing
     * the socket with its data unread makes the kernel send a reset, which can destroy our close frame before the
     * client reads it. So once the close frame is written the socket is half-closed (the client reads the frame,
     * then end of stream) and stays open for reading, its input dropped by the caller, until the client closes or
     * {@link #LINGER_MILLIS} pass.
     */
    static void closeLingering(Channel channel, int code, String reason) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(f -> {
            if (f.isSuccess() && channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            }
        });
        ScheduledFuture<?> forced = channel.eventLoop().schedule(() -> {
            channel.close();
        }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> forced.cancel(false));
    }
}
