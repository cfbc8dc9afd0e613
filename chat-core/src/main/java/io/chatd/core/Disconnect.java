package io.chatd.core;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.AttributeKey;
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

    /**
     * Set once the server sent its close frame: the client's answering close frame then ends the connection
     * (see {@link ProtocolErrorHandler}) instead of being echoed, since a second close frame makes browsers report
     * 1006 rather than the code they were sent. Holds the code sent, which the metrics count the close by.
     */
    static final AttributeKey<Integer> CLOSE_SENT = AttributeKey.valueOf(Disconnect.class, "closeSent");

    private Disconnect() {
    }

    /** Closes the channel after {@code millis} unless it closed by then: no close waits forever on a client. */
    private static void closeAfter(Channel channel, long millis) {
        ScheduledFuture<?> forced = channel.eventLoop().schedule(() -> {
            channel.close();
        }, millis, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> forced.cancel(false));
    }

    private static ChannelFuture sendCloseFrame(Channel channel, int code, String reason) {
        channel.attr(CLOSE_SENT).setIfAbsent(code); // the first close frame is the one the client gets
        return channel.writeAndFlush(new CloseWebSocketFrame(code, reason));
    }

    /** Sends a close frame with {@code code}, then closes; safe from any thread and idempotent enough. */
    static void close(Channel channel, int code, String reason) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        sendCloseFrame(channel, code, reason).addListener(ChannelFutureListener.CLOSE);
        closeAfter(channel, CLOSE_GRACE_MILLIS);
    }

    /**
     * Sends a close frame and lets the client answer it: its close frame closes the connection (RFC 6455 7.1.1:
     * the server closes the TCP connection once both close frames have passed), or the connection is closed after
     * {@link #LINGER_MILLIS}. For a server going away: a browser whose connection is cut, reset or half-closed
     * before it could answer may report 1006 instead of the 1001 it was sent.
     */
    static void closeAwaitingReply(Channel channel, int code, String reason) {
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        sendCloseFrame(channel, code, reason);
        closeAfter(channel, LINGER_MILLIS);
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
        sendCloseFrame(channel, code, reason).addListener(f -> {
            if (f.isSuccess() && channel instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
            }
        });
        closeAfter(channel, LINGER_MILLIS);
    }
}
