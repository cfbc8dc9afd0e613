package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * An upgraded connection carries only what a WebSocket needs: idle connections are what a chat server holds most
 * of, and every handler left over from the handshake costs each of them a context and its state.
 */
class UpgradedPipelineTest {

    @Test
    void upgradedConnectionKeepsNoHttpHandler() throws Exception {
        try (TestServer server = TestServer.start(); TestClient client = TestClient.connect(server.port(), "alice")) {
            client.expect("welcome");
            Channel ch = server.chat().channels().iterator().next();
            List<String> names = ch.eventLoop().submit(() -> {
                List<String> handlers = new ArrayList<>();
                for (Map.Entry<String, ChannelHandler> e : ch.pipeline()) {
                    handlers.add(e.getKey() + "=" + e.getValue().getClass().getSimpleName());
                    assertFalse(e.getValue() instanceof HttpServerCodec, e.getKey());
                    assertFalse(e.getValue() instanceof HttpObjectAggregator, e.getKey());
                    assertFalse(e.getValue() instanceof ChatHttpHandler, e.getKey());
                    assertFalse(e.getValue() instanceof HandshakeDeadline, e.getKey());
                }
                // Netty's handshake keeps its handshaker in an attribute; the close handshake does without it.
                assertFalse(ch.hasAttr(AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER")));
                return handlers;
            }).get(10, TimeUnit.SECONDS);
            // The WebSocket codec (decoder, encoder, protocol errors, protocol handler) and chat's frame handler;
            // nothing of the HTTP side, no timer of its own (Heartbeats), no UTF-8 validator (chat-frames checks
            // each message) and no aggregator until a fragmented message needs one.
            assertEquals(List.of("wsencoder=WebSocket13FrameEncoder", "wsdecoder=WebSocket13FrameDecoder",
                    "protocol-errors=ProtocolErrorHandler", "websocket=WebSocketServerProtocolHandler",
                    "chat-frames=ChatFrameHandler"), names);
        }
    }

    @Test
    void theFirstFragmentedMessageBringsTheAggregatorWhichThenStays() throws Exception {
        try (TestServer server = TestServer.start(); TestClient client = TestClient.connect(server.port(), "alice")) {
            client.expect("welcome");
            Channel ch = server.chat().channels().iterator().next();
            client.sendFrame(new TextWebSocketFrame(false, 0, "{\"type\":\"pi"));
            client.sendFrame(new ContinuationWebSocketFrame(true, 0, "ng\",\"id\":\"one\"}"));
            assertEquals("one", client.nextOfType("pong").get("id").getAsString());
            assertEquals(List.of("websocket", "websocket-aggregator", "chat-frames"),
                    ch.eventLoop().submit(() -> ch.pipeline().names().subList(3, 6)).get(10, TimeUnit.SECONDS));
            // A control frame in the middle of the next one passes the aggregator; the message still arrives whole.
            client.sendFrame(new TextWebSocketFrame(false, 0, "{\"type\":"));
            client.sendFrame(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
            client.sendFrame(new ContinuationWebSocketFrame(true, 0, "\"ping\",\"id\":\"two\"}"));
            assertEquals("two", client.nextOfType("pong").get("id").getAsString());
        }
    }

    @Test
    void theSwitchingProtocolsResponseAndTheWelcomeLeaveInOneWrite() throws Exception {
        String first = firstFlush(p -> p.addLast(new HttpServerCodec(), new HttpObjectAggregator(65536)));
        assertTrue(first.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), first);
        assertTrue(first.contains("\"type\":\"welcome\""), "the welcome rides with the 101: " + first);
    }

    @Test
    void anEmbeddersSeparateHttpDecoderAndEncoderGiveWayToWebSocket() throws Exception {
        String first = firstFlush(p -> p.addLast(new HttpRequestDecoder(), new HttpResponseEncoder(),
                new HttpObjectAggregator(65536)));
        assertTrue(first.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), first);
        assertTrue(first.contains("\"type\":\"welcome\""), first);
    }

    /**
     * Connects one client to a server whose pipeline is {@code http}, chat's handlers and, next to the socket, a
     * recorder of what each flush sends; returns what the server's first flush sent, once the client is welcome
     * and chats.
     */
    private static String firstFlush(Consumer<ChannelPipeline> http) throws Exception {
        Chat chat = Chat.create(ChatConfig.newBuilder().serveWebClient(false).build());
        List<String> flushes = new CopyOnWriteArrayList<>();
        EventLoopGroup group = Transports.best().newGroup(1);
        try {
            Channel server = new ServerBootstrap().group(group).channel(Transports.best().serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new FlushRecorder(flushes));
                            http.accept(ch.pipeline());
                            chat.addTo(ch.pipeline());
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            try (TestClient alice = TestClient.connect(port, "alice")) {
                alice.expect("welcome");
                alice.sendJson("type", "who", "room", "lobby");
                alice.nextOfType("who"); // the upgraded pipeline reads and answers frames
            }
            server.close().sync();
        } finally {
            chat.closeAll().awaitUninterruptibly(2, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        return flushes.get(0);
    }

    /** Next to the socket: collects the bytes of each flush, as Latin-1 text. */
    private static final class FlushRecorder extends ChannelOutboundHandlerAdapter {
        private final List<String> flushes;
        private final StringBuilder pending = new StringBuilder();

        FlushRecorder(List<String> flushes) {
            this.flushes = flushes;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf buf) {
                pending.append(buf.toString(StandardCharsets.ISO_8859_1));
            }
            ctx.write(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (pending.length() > 0) {
                flushes.add(pending.toString());
                pending.setLength(0);
            }
            ctx.flush();
        }
    }
}
