package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.CharsetUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** chat-core added to an application's own Netty HTTP server, sharing its port with the app's routes. */
@Timeout(30)
class EmbeddingTest {

    /** The application's own route; everything else goes on to chat. */
    static final class HelloRoute extends SimpleChannelInboundHandler<FullHttpRequest> {
        HelloRoute() {
            super(false); // requests passed on keep their reference count
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (!request.uri().equals("/hello")) {
                ctx.fireChannelRead(request);
                return;
            }
            request.release();
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("hello from the app\n", CharsetUtil.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Test
    void appRouteAndChatShareOnePort() throws Exception {
        Chat chat = Chat.create(ChatConfig.newBuilder().websocketPath("/chat").serveWebClient(false).build());
        EventLoopGroup group = Transports.best().newGroup(1);
        try {
            Channel server = new ServerBootstrap().group(group).channel(Transports.best().serverChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                    new HelloRoute());
                            chat.addTo(ch.pipeline());
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();

            HttpResponse<String> hello = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            assertEquals("hello from the app\n", hello.body());

            try (TestClient alice = TestClient.connect(port, "/chat?user=alice", h -> { });
                 TestClient bob = TestClient.connect(port, "/chat?user=bob", h -> { })) {
                alice.expect("welcome");
                bob.expect("welcome");
                bob.nextOfType("join");
                alice.sendJson("type", "msg", "room", "lobby", "content", "from a socket");
                assertEquals("from a socket", bob.nextOfType("msg").get("content").getAsString());

                // The application publishes from its own code.
                long seq = chat.broadcast("lobby", "deploy-bot", "v2 is live").get(5, TimeUnit.SECONDS);
                for (TestClient client : new TestClient[] {alice, bob}) {
                    var msg = client.nextOfType("msg");
                    assertEquals("deploy-bot", msg.get("from").getAsString());
                    assertEquals(seq, msg.get("seq").getAsLong());
                }
                PrivateReceipt live = chat.sendPrivate("ops", "alice", "just for you").get(5, TimeUnit.SECONDS);
                assertFalse(live.stored());
                var delivered = alice.nextOfType("private");
                assertEquals("ops", delivered.get("from").getAsString());
                assertEquals(live.seq(), delivered.get("seq").getAsLong());
                assertTrue(chat.sendPrivate("ops", "nobody", "later").get(5, TimeUnit.SECONDS).stored(),
                        "kept for nobody's next connect");
                assertEquals(0L, chat.broadcast("empty-room", "x", "y").get(5, TimeUnit.SECONDS));
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void twoInstancesShareNoRooms() throws Exception {
        try (TestServer first = TestServer.start(); TestServer second = TestServer.start();
             TestClient a = TestClient.connect(first.port(), "alice");
             TestClient b = TestClient.connect(second.port(), "bob")) {
            a.expect("welcome");
            b.expect("welcome");
            b.drain(java.time.Duration.ofMillis(200));
            a.sendJson("type", "msg", "room", "lobby", "content", "only first");
            b.expectNothing(java.time.Duration.ofMillis(300));
            assertTrue(second.chat().sendPrivate("x", "alice", "wrong instance").get(5, TimeUnit.SECONDS).stored(),
                    "alice is not connected to the second instance");
        }
    }
}
