package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.Promise;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A WebSocket client for tests, over a real socket. Received JSON frames queue up; every wait has a timeout.
 */
public final class TestClient implements AutoCloseable {

    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static final EventLoopGroup GROUP = Transports.NIO.newGroup(2);

    private final Channel channel;
    private final BlockingQueue<JsonObject> received;
    private final Promise<Integer> closeCode;

    private TestClient(Channel channel, BlockingQueue<JsonObject> received, Promise<Integer> closeCode) {
        this.channel = channel;
        this.received = received;
        this.closeCode = closeCode;
    }

    /** Connects as {@code user} and returns once the handshake completed. */
    public static TestClient connect(int port, String user) {
        return connect(port, "/ws?user=" + user, h -> { });
    }

    /** Connects to {@code pathAndQuery}, with extra handshake headers; fails the test on refusal. */
    public static TestClient connect(int port, String pathAndQuery, Consumer<HttpHeaders> headers) {
        try {
            return tryConnect(port, pathAndQuery, headers);
        } catch (WebSocketClientHandshakeException e) {
            throw new AssertionError("handshake refused: " + e.response().status(), e);
        }
    }

    /** Like {@link #connect}, but returns the refused handshake as an exception. */
    public static TestClient tryConnect(int port, String pathAndQuery, Consumer<HttpHeaders> extraHeaders)
            throws WebSocketClientHandshakeException {
        URI uri = URI.create("ws://127.0.0.1:" + port + pathAndQuery);
        HttpHeaders headers = new DefaultHttpHeaders();
        extraHeaders.accept(headers);
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .customHeaders(headers)
                .handleCloseFrames(false)
                .maxFramePayloadLength(8 * 1024 * 1024)
                .handshakeTimeoutMillis(TIMEOUT.toMillis())
                .build();
        Promise<Void> handshake = GROUP.next().newPromise();
        Promise<Integer> closeCode = GROUP.next().newPromise();
        BlockingQueue<JsonObject> queue = new LinkedBlockingQueue<>();
        Bootstrap bootstrap = new Bootstrap().group(GROUP).channel(Transports.NIO.socketChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(config),
                                new Receiver(queue, handshake, closeCode));
                    }
                });
        Channel channel = bootstrap.connect("127.0.0.1", port).syncUninterruptibly().channel();
        try {
            handshake.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            channel.close();
            if (e.getCause() instanceof WebSocketClientHandshakeException) {
                throw (WebSocketClientHandshakeException) e.getCause();
            }
            throw new AssertionError("handshake failed", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            channel.close();
            throw new AssertionError("handshake timed out", e);
        }
        return new TestClient(channel, queue, closeCode);
    }

    public Channel channel() {
        return channel;
    }

    public void send(String text) {
        channel.writeAndFlush(new TextWebSocketFrame(text)).syncUninterruptibly();
    }

    /** Writes without flushing or waiting: for many frames in a row, ended by {@link #flushAndAwaitPong}. */
    public void queue(String text) {
        channel.write(new TextWebSocketFrame(text));
    }

    /**
     * Flushes, sends a ping with id {@code id} and waits for its pong: every frame queued before was handled.
     * Frames received before the pong are dropped.
     */
    public void flushAndAwaitPong(String id) {
        queue("{\"type\":\"ping\",\"id\":\"" + id + "\"}");
        channel.flush();
        while (!nextOfType("pong").get("id").getAsString().equals(id)) {
            // an earlier pong
        }
    }

    public void sendFrame(WebSocketFrame frame) {
        channel.writeAndFlush(frame).syncUninterruptibly();
    }

    /** Sends a JSON object built from alternating field names and string values. */
    public void sendJson(String... fieldsAndValues) {
        JsonObject json = new JsonObject();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            json.addProperty(fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        send(json.toString());
    }

    /** The next frame, failing after the timeout. */
    public JsonObject next() {
        try {
            JsonObject json = received.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(json, "no frame within " + TIMEOUT);
            return json;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next frame, or null when none arrives within {@code wait}. */
    public JsonObject poll(Duration wait) {
        try {
            return received.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next frame of {@code type}, skipping others. */
    public JsonObject nextOfType(String type) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonObject json = poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (json != null && type.equals(json.get("type").getAsString())) {
                return json;
            }
        }
        throw new AssertionError("no " + type + " frame within " + TIMEOUT);
    }

    /** Asserts the next frame is of {@code type} and returns it. */
    public JsonObject expect(String type) {
        JsonObject json = next();
        assertEquals(type, json.get("type").getAsString(), () -> "unexpected frame " + json);
        return json;
    }

    /** Asserts that nothing arrives within {@code wait}. */
    public void expectNothing(Duration wait) {
        JsonObject json = poll(wait);
        if (json != null) {
            fail("expected no frame, got " + json);
        }
    }

    /** Drains every frame that arrives until {@code wait} passes with none. */
    public List<JsonObject> drain(Duration quiet) {
        List<JsonObject> all = new ArrayList<>();
        for (JsonObject json = poll(quiet); json != null; json = poll(quiet)) {
            all.add(json);
        }
        return all;
    }

    /** The close code the server sent, or -1 when the socket closed without a close frame. */
    public int awaitCloseCode() {
        try {
            return closeCode.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("connection not closed within " + TIMEOUT, e);
        }
    }

    /** Whether the socket closed within {@code wait}. */
    public boolean awaitClosed(Duration wait) {
        return channel.closeFuture().awaitUninterruptibly(wait.toMillis());
    }

    /** Stops reading from the socket, so the server's writes back up. */
    public void stopReading() {
        channel.config().setAutoRead(false);
    }

    public void resumeReading() {
        channel.config().setAutoRead(true);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private static final class Receiver extends SimpleChannelInboundHandler<Object> {
        private final BlockingQueue<JsonObject> target;
        private final Promise<Void> handshake;
        private final Promise<Integer> closeCode;

        Receiver(BlockingQueue<JsonObject> target, Promise<Void> handshake, Promise<Integer> closeCode) {
            this.target = target;
            this.handshake = handshake;
            this.closeCode = closeCode;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                handshake.trySuccess(null);
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TextWebSocketFrame) {
                target.add(JsonParser.parseString(((TextWebSocketFrame) msg).text()).getAsJsonObject());
            } else if (msg instanceof CloseWebSocketFrame) {
                closeCode.trySuccess(((CloseWebSocketFrame) msg).statusCode());
                ctx.close();
            } else if (msg instanceof BinaryWebSocketFrame) {
                ByteBuf content = ((BinaryWebSocketFrame) msg).content();
                throw new AssertionError("server sent a binary frame of " + content.readableBytes() + " bytes");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            handshake.tryFailure(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            handshake.tryFailure(new IllegalStateException("closed before the handshake"));
            closeCode.trySuccess(-1);
            super.channelInactive(ctx);
        }
    }
}
