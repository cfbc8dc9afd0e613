package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a connection whose client broke RFC 6455 with the close code the RFC asks for, in a way the close frame
 * survives. It sits between Netty's frame decoder and {@code WebSocketServerProtocolHandler}, and does two things
 * Netty does not:
 * <ul>
 *   <li>refuses close frames whose status code the RFC forbids on the wire (section 7.4: outside 1000-4999,
 *   1004-1006, 1015-2999) with 1002, where Netty echoes 5000 or 65535 back as if they were valid;</li>
 *   <li>closes on a decoder violation (1002, 1007, 1009) by sending the close frame, half-closing and lingering,
 *   where Netty would close at once: a client still sending then gets a TCP reset that can destroy the close
 *   frame before it is read (Autobahn cases 9.4.1, 9.5.4).</li>
 * </ul>
 * It keeps a frame written after the server's close frame (which Netty refuses) from cutting the close short.
 * It also ends the closing handshakes: it echoes the close frame of a client that begins one and closes (Netty's
 * protocol handler would need the channel's handshaker for that, which {@link WebSocketUpgrade} does not keep, to
 * save memory), and a client's close frame that answers the server's closes the connection.
 *
 * <p>It adds the {@link WebSocketFrameAggregator} to a pipeline when the first fragmented message arrives. Browsers
 * send every message as one frame, so most connections never need one, and an aggregator in every pipeline would
 * cost each idle connection 112 bytes. (The decoder already refuses a continuation outside a fragmented message.)
 * Stateless: one instance serves every channel of a {@link Chat}.
 */
@ChannelHandler.Sharable
final class ProtocolErrorHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProtocolErrorHandler.class);

    /** Name of the aggregator in the pipeline, once added. */
    static final String AGGREGATOR = "websocket-aggregator";

    private final int maxMessageBytes;
    /** Name of the handler the aggregator follows: Netty's protocol handler, which would close on its errors at once. */
    private final String aggregatorAfter;

    /**
     * @param maxMessageBytes the largest message a fragmented one may add up to
     * @param aggregatorAfter the handler after which the aggregator goes, once needed
     */
    ProtocolErrorHandler(int maxMessageBytes, String aggregatorAfter) {
        this.maxMessageBytes = maxMessageBytes;
        this.aggregatorAfter = aggregatorAfter;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (isFirstFragment(msg) && ctx.pipeline().get(AGGREGATOR) == null) {
            // The frame goes on below, so the aggregator, next after the protocol handler, starts with it.
            ctx.pipeline().addAfter(aggregatorAfter, AGGREGATOR, new WebSocketFrameAggregator(maxMessageBytes));
        }
        if (msg instanceof CloseWebSocketFrame close) {
            if (ctx.channel().attr(Disconnect.CLOSE_SENT).get() != null) {
                // The answer to our own close frame: the closing handshake is complete, and the server closes the
                // TCP connection (RFC 6455 7.1.1) without echoing a second close frame.
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            ByteBuf body = close.content();
            if (body.readableBytes() >= 2 && !mayBeSent(body.getUnsignedShort(body.readerIndex()))) {
                int code = body.getUnsignedShort(body.readerIndex());
                ReferenceCountUtil.release(msg);
                refuse(ctx, CloseCodes.PROTOCOL_ERROR, "invalid close code " + code);
                return;
            }
            // The client began the closing handshake: echo its close frame, then close the TCP connection
            // (RFC 6455 5.5.1, 7.1.1). From the tail, so that Netty's protocol handler sees the close frame
            // go out, drops whatever is written after it, and bounds the wait with its force-close timeout.
            ctx.channel().writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private static boolean isFirstFragment(Object msg) {
        return (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame)
                && !((WebSocketFrame) msg).isFinalFragment();
    }

    /** Status codes an endpoint may put in a close frame (RFC 6455 7.4.1 and 7.4.2, IANA's 1012-1014). */
    static boolean mayBeSent(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException violation) {
            // A broken close frame (one-byte body, a forbidden code, a reason that is not UTF-8) is a protocol
            // error (RFC 6455 7.4.1: 1002), though the decoder reports bad UTF-8 there as 1007.
            int code = fromCloseFrame(violation) ? CloseCodes.PROTOCOL_ERROR : violation.closeStatus().code();
            refuse(ctx, code, violation.getMessage());
        } else if (cause instanceof ClosedChannelException && ctx.channel().attr(Disconnect.CLOSE_SENT).get() != null) {
            // A frame written after our close frame (a room message racing the close), which Netty's protocol
            // handler refuses, as RFC 6455 wants. Passed on, that handler would close the socket at once: a client
            // still sending then gets a reset that can destroy the close frame it has not read yet. The close is
            // under way and bounded by Disconnect's timers.
            log.trace("write after the close frame on {}", ctx.channel().id());
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    private static void refuse(ChannelHandlerContext ctx, int code, String reason) {
        // Client behaviour, not ours: any client can repeat it, so it must not fill the log.
        log.debug("closing {} with {}: {}", ctx.channel().id(), code, reason);
        // The decoder drops what the client still sends; the socket lingers so the close frame is read.
        Disconnect.closeLingering(ctx.channel(), code, closeReason(reason));
    }

    private static boolean fromCloseFrame(CorruptedWebSocketFrameException violation) {
        for (StackTraceElement frame : violation.getStackTrace()) {
            if (frame.getMethodName().equals("checkCloseFrameBody")) {
                return true;
            }
        }
        return false;
    }

    /** A close reason must fit in a control frame: 125 bytes less the code's 2. */
    private static String closeReason(String reason) {
        String text = reason == null ? "protocol error" : reason;
        return text.length() > 100 ? text.substring(0, 100) : text;
    }
}
