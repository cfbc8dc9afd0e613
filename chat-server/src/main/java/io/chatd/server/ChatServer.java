package io.chatd.server;

import io.chatd.core.AdminApiHandler;
import io.chatd.core.Chat;
import io.chatd.core.ChatConfig;
import io.chatd.core.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
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
    /**
     * Netty's default receive-buffer sizing, one for all connections: each would otherwise hold an allocator of its
     * own (32 bytes), while the sizing state it adapts lives in each channel's handle anyway. 16 reads per wakeup is
     * what Netty gives a socket channel by default.
     */
    private static final RecvByteBufAllocator RECEIVE_BUFFERS = new AdaptiveRecvByteBufAllocator()
            .maxMessagesPerRead(16);

    private final Transports transport;
    private final int eventLoops;
    /** The admin listener and its metrics, once {@link #startAdmin} opened them. */
    private Channel adminChannel;
    private ChatMetrics metrics;

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
                    // No TCP_NODELAY child option: Netty's socket channels enable it already, and setting it
                    // again cost one more system call per accepted connection.
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE_BUFFERS)
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

    /**
     * Opens the admin listener on {@code host:port} (0 picks a free one), on the same event loops: {@code /metrics},
     * {@code /readyz}, {@code /healthz} and, when {@code apiKey} is not null, the admin API
     * ({@link AdminApiHandler}) for callers presenting that key.
     */
    public synchronized void startAdmin(String host, int port, byte[] apiKey) throws InterruptedException {
        if (adminChannel != null) {
            throw new IllegalStateException("the admin listener is already open");
        }
        AdminApiHandler api = apiKey == null ? null : new AdminApiHandler(chat, apiKey);
        ChatMetrics metrics = new ChatMetrics(chat);
        AdminHttpHandler routes = new AdminHttpHandler(chat, metrics, api != null);
        try {
            adminChannel = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), routes);
                            if (api != null) {
                                ch.pipeline().addLast(api);
                            }
                        }
                    })
                    .bind(host, port).sync().channel();
        } catch (InterruptedException | RuntimeException e) {
            metrics.close();
            throw e;
        }
        this.metrics = metrics;
    }

    /** The admin listener's bound port, or -1 when it is not open. */
    public synchronized int adminPort() {
        return adminChannel == null ? -1 : ((InetSocketAddress) adminChannel.localAddress()).getPort();
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
        return shutdown(Duration.ZERO, grace);
    }

    /**
     * Like {@link #shutdown(Duration)}, draining first: {@code /readyz} answers 503 at once, and everything keeps
     * serving for {@code drainDelay}, so that a load balancer polling readiness stops sending new clients before
     * the 1001 closes go out. The grace period starts after the drain.
     */
    public boolean shutdown(Duration drainDelay, Duration grace) {
        chat.startDraining();
        if (drainDelay.toMillis() > 0) {
            log.info("draining: not ready, still serving {} connections for {}", chat.connectionCount(), drainDelay);
            try {
                Thread.sleep(drainDelay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // a second signal: stop draining, go on closing
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        log.info("shutting down: {} connections, grace {}", chat.connectionCount(), grace);
        serverChannel.close().awaitUninterruptibly(remainingMillis(deadline));
        boolean closed = chat.closeAll().awaitUninterruptibly(remainingMillis(deadline));
        if (!closed) {
            log.warn("{} connections still open at the end of the grace period; closing them", chat.connectionCount());
        }
        synchronized (this) {
            if (adminChannel != null) { // open until here: /readyz answered 503 while the connections closed
                adminChannel.close().awaitUninterruptibly(remainingMillis(deadline));
                metrics.close();
            }
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
