package io.chatd.server;

import io.chatd.core.Chat;
import io.chatd.core.ChatConfig;
import io.chatd.core.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running chat daemon: one {@link Chat} bound to one port. Start with {@link #start}, stop with {@link #shutdown}. */
public final class ChatServer {

    private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

    private final Chat chat;
    private final EventLoopGroup group;
    private final Channel serverChannel;

    /** How long loops still busy at the end of the grace period get to stop before the store closes anyway. */
    private static final long LOOP_STOP_MILLIS = 5000;

    private final Transports transport;
    private final int eventLoops;

    private ChatServer(Chat chat, EventLoopGroup group, Channel serverChannel, Transports transport, int eventLoops) {
        this.chat = chat;
        this.group = group;
        this.serverChannel = serverChannel;
        this.transport = transport;
        this.eventLoops = eventLoops;
    }

    /** The transport serving the sockets: native epoll where available, NIO otherwise. */
    public Transports transport() {
        return transport;
    }

    /** The number of event loops. */
    public int eventLoops() {
        return eventLoops;
    }

    /**
     * Binds {@code host:port} (port 0 picks a free one) and serves chat with {@code ioThreads} event loops
     * (0: one per available core). The same loops accept connections.
     */
    public static ChatServer start(ChatConfig config, String host, int port, int ioThreads) throws InterruptedException {
        return start(config, host, port, ioThreads, null);
    }

    /** Like {@link #start(ChatConfig, String, int, int)}, serving TLS with {@code tls} unless it is null. */
    public static ChatServer start(ChatConfig config, String host, int port, int ioThreads, SslContext tls)
            throws InterruptedException {
        Objects.requireNonNull(config, "config");
        Transports transport = Transports.best();
        if (transport != Transports.EPOLL) {
            log.info("transport: NIO (epoll unavailable: {})", String.valueOf(Transports.epollUnavailabilityCause()));
        }
        // One loop per core: the work is non-blocking, and every extra loop on a core only adds context switches.
        int threads = ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
        // The store opens first: a store that cannot open must fail before anything is bound.
        Chat chat = Chat.create(config);
        EventLoopGroup group = transport.newGroup(threads);
        try {
            Channel serverChannel = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(tls == null ? chat.newChannelInitializer() : withTls(tls, chat))
                    .bind(host, port).sync().channel();
            ChatServer server = new ChatServer(chat, group, serverChannel, transport, threads);
            log.debug("listening on {}:{}, WebSocket path {}, {} event loop(s){}", host, server.port(),
                    config.websocketPath(), threads, tls == null ? "" : ", TLS: https and wss");
            return server;
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            chat.close();
            throw e;
        }
    }

    /** TLS first, so everything after it (HTTP, WebSocket, chat) is the plain pipeline of {@link Chat}. */
    private static ChannelInitializer<Channel> withTls(SslContext tls, Chat chat) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                ch.pipeline().addLast(chat.newChannelInitializer());
            }
        };
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Chat chat() {
        return chat;
    }

    /**
     * Stops in order: stop accepting, close every WebSocket with 1001, then stop the event loops. Returns when
     * done or when {@code grace} has passed, whichever comes first; returns true when everything closed in time.
     */
    public boolean shutdown(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        log.info("shutting down: {} connections, grace {}", chat.connectionCount(), grace);
        serverChannel.close().awaitUninterruptibly(remainingMillis(deadline));
        boolean closed = chat.closeAll().awaitUninterruptibly(remainingMillis(deadline));
        if (!closed) {
            log.warn("{} connections still open at the end of the grace period; closing them", chat.connectionCount());
        }
        group.shutdownGracefully(0, Math.max(1, remainingMillis(deadline)), TimeUnit.MILLISECONDS);
        boolean stopped = group.terminationFuture().awaitUninterruptibly(remainingMillis(deadline));
        if (!stopped) {
            // The store must close after the loops, or a loop still running could be told a write succeeded that
            // never runs. Past the grace period the loops' remaining tasks are abandoned, not awaited forever.
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            group.terminationFuture().awaitUninterruptibly(LOOP_STOP_MILLIS);
        }
        // After the loops: nothing can publish any more, so every acked message is already queued for the store.
        chat.close();
        log.info("shutdown {}", closed && stopped ? "complete" : "timed out");
        return closed && stopped;
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
