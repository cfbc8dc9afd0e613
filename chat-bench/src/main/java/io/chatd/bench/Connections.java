package io.chatd.bench;

import io.chatd.core.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The run's connections: opens them with at most {@code maxInFlight} upgrades under way at once (a burst of
 * thousands would overrun the server's accept backlog and time out in SYN retries, measuring the kernel instead
 * of the server), follows each to ready or failed, and closes them at the end. Confined to the one event loop.
 */
final class Connections implements LoadContext.Listener {

    /** Distinct failure reasons kept for the report; the rest are only counted. */
    private static final int MAX_REASONS = 10;

    final LoadConnection[] all;
    final LoadContext context;
    /** Upgrade latency, TCP connect to 101, in microseconds. */
    final Histogram handshakeMicros = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
    final Map<String, Integer> failureReasons = new LinkedHashMap<>();
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final List<InetSocketAddress> sources;
    private final int maxInFlight;
    private final long handshakeTimeoutMillis;
    /** Completes once the connections up to {@link #limit} are ready or failed. */
    private CompletableFuture<Void> settled = new CompletableFuture<>();
    /** Connections below this index are to be opened. */
    private int limit;

    private int next;
    private int inFlight;
    private boolean launching;
    int handshakes;
    int ready;
    int failed;
    /** Ready connections that closed later, without the bench asking. */
    int lost;
    long firstConnectNanos;
    long lastHandshakeNanos;

    /**
     * @param sources local addresses to spread connections over, round-robin; empty to let the kernel choose
     */
    Connections(EventLoop loop, Transports transport, Targets targets, Topology topology, FrameWriter writer,
                List<InetSocketAddress> sources, int maxInFlight, long handshakeTimeoutMillis) {
        this.loop = loop;
        this.all = new LoadConnection[topology.connections];
        this.context = new LoadContext(targets, topology, writer, this);
        this.sources = sources;
        this.maxInFlight = maxInFlight;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.bootstrap = bootstrap(loop, transport, sources, handshakeTimeoutMillis);
    }

    /** The client bootstrap of the bench: TCP_NODELAY, connect timeout, source addresses without port binding. */
    static Bootstrap bootstrap(EventLoop loop, Transports transport, List<InetSocketAddress> sources,
                               long connectTimeoutMillis) {
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis));
        if (transport == Transports.EPOLL && !sources.isEmpty()) {
            // Pick the port at connect(), per (source, destination): otherwise bind() reserves a port per socket
            // and the ephemeral range caps the connections however many source addresses there are.
            b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
        return b;
    }

    /** Starts connecting; completes once every connection is ready or failed. */
    CompletableFuture<Void> connectAll() {
        return connectUpTo(all.length);
    }

    /**
     * Connects the first {@code count} connections (those not started yet); completes once all of them are ready
     * or failed. The memory mode connects in two steps and reads the server's RSS in between.
     */
    CompletableFuture<Void> connectUpTo(int count) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            settled = done;
            limit = Math.min(count, all.length);
            firstConnectNanos = System.nanoTime();
            handshakes = 0;
            handshakeMicros.reset();
            launch();
            checkSettled();
        });
        return done;
    }

    private void launch() {
        if (launching) {
            return; // a synchronous failure inside open() re-enters; the outer loop carries on
        }
        launching = true;
        try {
            while (inFlight < maxInFlight && next < limit) {
                open(next++);
            }
        } finally {
            launching = false;
        }
    }

    private void open(int i) {
        LoadConnection c = new LoadConnection(context, i);
        all[i] = c;
        inFlight++;
        connect(bootstrap, c, sources, i, loop, handshakeTimeoutMillis);
    }

    /**
     * Starts connection {@code c} (number {@code i}) to its target, from the i-th source address round-robin,
     * and fails it when it is not ready after {@code handshakeTimeoutMillis}.
     */
    static void connect(Bootstrap bootstrap, LoadConnection c, List<InetSocketAddress> sources, int i,
                        EventLoop loop, long handshakeTimeoutMillis) {
        bootstrap.handler(c); // read synchronously by connect(), so one bootstrap serves every connection
        InetSocketAddress remote = c.target.address;
        ChannelFuture f = sources.isEmpty() ? bootstrap.connect(remote)
                : bootstrap.connect(remote, sources.get(i % sources.size()));
        c.connecting(f.channel(), System.nanoTime());
        f.addListener(done -> {
            if (!done.isSuccess()) {
                Throwable cause = done.cause();
                c.fail("connect failed: " + (cause.getMessage() != null ? cause.getMessage() : cause.toString()));
            }
        });
        loop.schedule(c::handshakeDeadline, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Gives up on every connection not ready yet, and on those never started; for the connect timeout. */
    void abandonUnready(String reason) {
        for (int i = next; i < limit; i++) {
            failed++;
            failureReasons.merge("not started: " + reason, 1, Integer::sum);
        }
        next = Math.max(next, limit);
        for (LoadConnection c : all) {
            if (c != null && !c.isReady()) {
                c.fail(reason);
            }
        }
        checkSettled();
    }

    /** Closes every connection; their closes are expected, so none is reported as lost. */
    void closeAll() {
        context.closing = true;
        next = all.length;
        for (LoadConnection c : all) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** Connections whose channel is still open. */
    int openCount() {
        int open = 0;
        for (LoadConnection c : all) {
            if (c != null && c.isOpen()) {
                open++;
            }
        }
        return open;
    }

    /** Ready connections per target, in the order of {@code --url}: how the load spread over a cluster's nodes. */
    int[] readyPerTarget() {
        int[] ready = new int[context.targets.size()];
        for (LoadConnection c : all) {
            if (c != null && c.isReady()) {
                ready[context.targets.indexOf(c.index)]++;
            }
        }
        return ready;
    }

    /** Handshakes per second over the connect phase. */
    double handshakeRate() {
        double seconds = (lastHandshakeNanos - firstConnectNanos) / 1e9;
        return handshakes == 0 || seconds <= 0 ? 0 : handshakes / seconds;
    }

    @Override
    public void handshakeDone(LoadConnection c, long nanos) {
        handshakes++;
        handshakeMicros.recordValue(Math.min(handshakeMicros.getHighestTrackableValue(), nanos / 1000));
        lastHandshakeNanos = System.nanoTime();
        inFlight--;
        launch();
    }

    @Override
    public void ready(LoadConnection c) {
        ready++;
        checkSettled();
    }

    @Override
    public void failed(LoadConnection c, String reason) {
        failed++;
        if (failureReasons.size() < MAX_REASONS || failureReasons.containsKey(reason)) {
            failureReasons.merge(reason, 1, Integer::sum);
        }
        if (!c.handshaken()) {
            inFlight--;
            launch();
        }
        checkSettled();
    }

    @Override
    public void closed(LoadConnection c, int code) {
        lost++;
        context.current.onClose(code);
    }

    private void checkSettled() {
        if (ready + failed >= limit) {
            settled.complete(null);
        }
    }
}
