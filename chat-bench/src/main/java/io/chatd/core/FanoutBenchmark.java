package io.chatd.core;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long one room broadcast takes to reach every member over real loopback WebSocket connections: the server
 * (one event loop) publishes through {@link Chat#broadcast}, and the operation ends when every client has read
 * the frame. Clients run on one event loop of their own in the same JVM.
 *
 * <pre>java -jar chat-bench/target/chat-bench.jar jmh FanoutBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FanoutBenchmark {

    @Param({"1000", "5000"})
    int connections;

    private EventLoopGroup serverGroup;
    private EventLoopGroup clientGroup;
    private Chat chat;
    private final List<Channel> clients = new ArrayList<>();
    /** Room messages read by all clients together. */
    private final AtomicLong received = new AtomicLong();
    private long target;
    private final String content = "x".repeat(60);

    /** Counts text frames once the handshake is done; releases everything. */
    private final class Counter extends ChannelInboundHandlerAdapter {
        private final CountDownLatch handshake;

        Counter(CountDownLatch handshake) {
            this.handshake = handshake;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                handshake.countDown();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TextWebSocketFrame && ((TextWebSocketFrame) msg).content().getByte(9) == 'm') {
                received.incrementAndGet(); // {"type":"msg"...: byte 9 is the 'm' of msg
            }
            ReferenceCountUtil.release(msg);
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Transports transport = Transports.best();
        serverGroup = transport.newGroup(1);
        clientGroup = transport.newGroup(1);
        // One broadcast at a time, each right after the last one arrived: with a flush interval every sample would
        // wait for it. This measures how fast one broadcast reaches everyone, so passes run at every loop turn.
        chat = Chat.create(ChatConfig.newBuilder().defaultRoom("bench").serveWebClient(false)
                .flushInterval(Duration.ZERO).maxOutboundBytes(8 * 1024 * 1024).build());
        Channel server = new ServerBootstrap().group(serverGroup).channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 8192)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(chat.newChannelInitializer())
                .bind("127.0.0.1", 0).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        clients.add(server);
        for (int batch = 0; batch < connections; batch += 200) {
            int size = Math.min(200, connections - batch);
            CountDownLatch handshakes = new CountDownLatch(size);
            for (int i = batch; i < batch + size; i++) {
                // 50 users: only a user's first connection makes a room-wide join notice.
                URI uri = URI.create("ws://127.0.0.1:" + port + "/ws?user=u" + (i % 50));
                clients.add(new Bootstrap().group(clientGroup).channel(transport.socketChannel())
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                                        new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                                .webSocketUri(uri).build()),
                                        new Counter(handshakes));
                            }
                        }).connect("127.0.0.1", port).sync().channel());
            }
            if (!handshakes.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("handshakes did not complete");
            }
        }
        // Joins are asynchronous: publish until one message reaches every connection.
        for (int attempt = 0; attempt < 100; attempt++) {
            long before = received.get();
            broadcastOnce(before + connections, 2_000_000_000L);
            if (received.get() - before == connections) {
                break;
            }
            Thread.sleep(100);
        }
        target = received.get();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        clients.forEach(Channel::close);
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        chat.close();
    }

    /** Publishes one message and waits until every member has read it. */
    @Benchmark
    public long broadcastUntilEveryMemberRead() {
        target += connections;
        return broadcastOnce(target, 10_000_000_000L);
    }

    private long broadcastOnce(long until, long timeoutNanos) {
        chat.broadcast("bench", "jmh", content);
        long deadline = System.nanoTime() + timeoutNanos;
        long now;
        while ((now = received.get()) < until) {
            if (System.nanoTime() > deadline) {
                break;
            }
            // Park, not spin: the machine has two cores and the server and clients need both.
            LockSupport.parkNanos(20_000);
        }
        return now;
    }
}
