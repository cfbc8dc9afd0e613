package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

/**
 * {@link ProtocolErrorHandler} in front of Netty's {@link WebSocketServerProtocolHandler}, as {@link Chat#addTo}
 * puts them, on an {@link EmbeddedChannel}.
 */
class ProtocolErrorHandlerTest {

    @Test
    void aFrameWrittenAfterTheCloseFrameDoesNotCutTheCloseShort() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("protocol-errors", new ProtocolErrorHandler(65536, "websocket"));
        channel.pipeline().addLast("websocket", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig
                .newBuilder().websocketPath("/ws").sendCloseFrame(null).build()));
        try {
            // The server's close frame goes out, as Disconnect sends it; the socket then waits for the client.
            channel.attr(Disconnect.CLOSE_SENT).set(CloseCodes.FLOODING);
            channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.FLOODING, "flooding"));
            Object close = channel.readOutbound();
            assertInstanceOf(CloseWebSocketFrame.class, close);
            ReferenceCountUtil.release(close);

            // A room message reaches the connection now: Netty refuses it, and the connection stays open until
            // the client answers, instead of being reset under a client that may not have read the close frame.
            channel.writeAndFlush(new TextWebSocketFrame("{\"type\":\"msg\"}"), channel.voidPromise());
            assertNull(channel.readOutbound(), "nothing after the close frame");
            assertTrue(channel.isActive(), "the close is left to its own bounds");
            channel.checkException();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
