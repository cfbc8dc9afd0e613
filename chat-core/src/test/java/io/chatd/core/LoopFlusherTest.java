package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LoopFlusher} on a real event loop: server-side channels count the flushes that reach them, and their
 * peers record what arrives.
 */
@Timeout(20)
class LoopFlusherTest {

    private final DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
    private final List<Peer> peers = new ArrayList<>();
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private Channel server;

    /** One server-side channel, its flush count, and what its client peer received. */
    private static final class Peer {
        Channel serverSide;
        final AtomicInteger flushes = new AtomicInteger();
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    }

    @BeforeEach
    void startServer() throws Exception {
        LocalAddress address = new LocalAddress("loop-flusher-" + System.nanoTime());
        server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.add(ch);
                    }
                }).bind(address).sync().channel();
    }

    @AfterEach
    void stop() {
        peers.forEach(p -> p.serverSide.close());
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private Peer connect() throws Exception {
        Peer peer = new Peer();
        new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf buf = (ByteBuf) msg;
                        peer.received.add(buf.toString(StandardCharsets.UTF_8));
                        buf.release();
                    }
                }).connect(server.localAddress()).sync();
        peer.serverSide = accepted.poll(5, TimeUnit.SECONDS);
        peer.serverSide.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                peer.flushes.incrementAndGet();
                ctx.flush();
            }
        });
        peers.add(peer);
        return peer;
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static void onLoop(EventLoop loop, Runnable task) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            task.run();
            done.complete(null);
        });
        done.get(5, TimeUnit.SECONDS);
    }

    /** Reads what arrived within {@code millis}, concatenated (local channels may merge writes). */
    private static String drain(Peer peer, long millis) throws InterruptedException {
        StringBuilder all = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        String chunk;
        while ((chunk = peer.received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null) {
            all.append(chunk);
        }
        return all.toString();
    }

    @Test
    void framesSentInOneTurnLeaveInOneFlushAndInOrder() throws Exception {
        Peer peer = connect();
        EventLoop loop = peer.serverSide.eventLoop();
        LoopFlusher flusher = new LoopFlusher(loop, 0);
        Connection connection = new Connection(peer.serverSide, "alice", flusher, null);

        onLoop(loop, () -> {
            connection.send(text("a"));
            connection.send(text("b"));
            connection.send(text("c"));
        });

        assertEquals("abc", drain(peer, 300));
        assertEquals(1, peer.flushes.get());
    }

    @Test
    void aQuietLoopFlushesAtOnceEvenWithALongInterval() throws Exception {
        Peer peer = connect();
        LoopFlusher flusher = new LoopFlusher(peer.serverSide.eventLoop(), Duration.ofSeconds(30).toNanos());
        Connection connection = new Connection(peer.serverSide, "alice", flusher, null);

        connection.send(text("hello")); // from a foreign thread: handed to the loop

        assertEquals("hello", peer.received.poll(5, TimeUnit.SECONDS));
        assertEquals(1, peer.flushes.get());
    }

    @Test
    void framesSentSoonAfterAPassWaitForTheIntervalThenLeaveTogether() throws Exception {
        Peer peer = connect();
        EventLoop loop = peer.serverSide.eventLoop();
        LoopFlusher flusher = new LoopFlusher(loop, Duration.ofMillis(400).toNanos());
        Connection connection = new Connection(peer.serverSide, "alice", flusher, null);

        onLoop(loop, () -> connection.send(text("1")));
        assertEquals("1", peer.received.poll(5, TimeUnit.SECONDS));
        onLoop(loop, () -> connection.send(text("2")));
        onLoop(loop, () -> connection.send(text("3")));

        assertEquals("", drain(peer, 150), "held back until the interval since the last pass has passed");
        assertEquals("23", drain(peer, 2000));
        assertEquals(2, peer.flushes.get());
    }

    @Test
    void aRoomBroadcastFlushesEveryMemberOnceAndSkipsTheExcludedOne() throws Exception {
        Peer alice = connect();
        Peer bob = connect();
        Peer carol = connect();
        EventLoop loop = alice.serverSide.eventLoop();
        LoopFlusher flusher = new LoopFlusher(loop, 0);
        RoomShard shard = new RoomShard("r", flusher);
        for (Peer p : List.of(alice, bob, carol)) {
            shard.channels.add(p.serverSide);
        }

        onLoop(loop, () -> {
            shard.deliver(text("m1;"), alice.serverSide);
            shard.deliver(text("m2;"), alice.serverSide);
        });

        assertEquals("m1;m2;", drain(bob, 300));
        assertEquals("m1;m2;", drain(carol, 100));
        assertEquals("", drain(alice, 50));
        assertEquals(1, bob.flushes.get());
        assertEquals(1, carol.flushes.get());
        assertTrue(alice.flushes.get() <= 1, "the sender is at most flushed with nothing to send");
    }
}
