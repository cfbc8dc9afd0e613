package io.chatd.core;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A chat server on a free port for one test: {@code try (TestServer s = TestServer.start(...))}. Uses the same
 * transport choice as the daemon.
 */
public final class TestServer implements AutoCloseable {

    private final Chat chat;
    private final EventLoopGroup group;
    private final Channel serverChannel;

    private TestServer(Chat chat, EventLoopGroup group, Channel serverChannel) {
        this.chat = chat;
        this.group = group;
        this.serverChannel = serverChannel;
    }

    /** A server with the default configuration changed by {@code customize}, on {@code threads} event loops. */
    public static TestServer start(UnaryOperator<ChatConfig.Builder> customize, int threads) {
        Chat chat = Chat.create(customize.apply(ChatConfig.newBuilder().serveWebClient(false)).build());
        Transports transport = Transports.best();
        EventLoopGroup group = transport.newGroup(threads);
        Channel channel = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(chat.newChannelInitializer())
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return new TestServer(chat, group, channel);
    }

    public static TestServer start(UnaryOperator<ChatConfig.Builder> customize) {
        return start(customize, 2);
    }

    public static TestServer start() {
        return start(b -> b);
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Chat chat() {
        return chat;
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        // In order, as ChatServer does: connections first, then the loops they live on.
        chat.closeAll().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        chat.close();
    }
}
