package io.chatd.bench;

import io.chatd.core.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Clients that behave like a crowd of web clients: each keeps one connection, and when an attempt fails (refused,
 * timed out, closed before its welcome) or its open connection is closed by the server, it tries again after the
 * web client's {@link Backoff}; the first retry after a close waits within the window the server advised in its
 * {@code reconnect} frame, as the web client does. Client {@code i} is user {@code topology.user(i)} on every
 * attempt, so a reconnect is the same user coming back. Confined to the one event loop, like {@link Connections}.
 *
 * <p>The figures are kept per {@link Round}: a storm round starts every client that is down at once; a restart
 * round starts at the first close by the server and lasts until every client is back.
 */
final class StormClients implements LoadContext.Listener {

    private static final int MAX_REASONS = 10;

    /** The figures of one round: from its start until every client is up (or the round is given up). */
    static final class Round {
        final String name;
        final long startNanos;
        /** Upgrade latency of each successful attempt, TCP connect to 101, in microseconds. */
        final Histogram handshakeMicros = new Histogram(TimeUnit.MINUTES.toMicros(10), 3);
        /** Per client, from the round's start to its welcome (retries included), in milliseconds. */
        final Histogram upMillis = new Histogram(TimeUnit.HOURS.toMillis(1), 3);
        final Map<String, Integer> failureReasons = new LinkedHashMap<>();
        final CompletableFuture<Void> allUp = new CompletableFuture<>();
        int attempts;
        int handshakes;
        int failedAttempts;
        /** Clients that came up during this round. */
        int cameUp;
        /** Open connections the server closed during this round. */
        int closedByServer;
        /** The longest reconnect window the server advised before those closes, in milliseconds; -1 for none. */
        long advisedMillis = -1;
        long firstUpNanos;
        long lastUpNanos;

        Round(String name, long startNanos) {
            this.name = name;
            this.startNanos = startNanos;
        }

        /** Clients up per second, from the round's start to the last one up. */
        double upRate() {
            double seconds = (lastUpNanos - startNanos) / 1e9;
            return cameUp == 0 || seconds <= 0 ? 0 : cameUp / seconds;
        }
    }

    final LoadContext context;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final List<InetSocketAddress> sources;
    private final int maxInFlight;
    private final long handshakeTimeoutMillis;
    /** Per client: its live attempt or connection, or null while it waits for a retry (or is stopped). */
    private final LoadConnection[] current;
    private final boolean[] up;
    private final long[] upSinceNanos;
    /** Per client: consecutive failed attempts, which drive its backoff. */
    private final int[] attempt;
    /**
     * Per client: when the window its server advised at its last close ends ({@link System#nanoTime}), until a
     * connection opens again; 0 for none. Its retries are spread over what is left of it (see {@link Backoff}).
     */
    private final long[] advisedUntilNanos;
    private final ArrayDeque<Integer> waiting = new ArrayDeque<>();
    private final List<LoadConnection> closing = new ArrayList<>();

    private int inFlight;
    private int upCount;
    private boolean retrying;
    private boolean launching;
    /** The round being measured; null between rounds (a close then starts a restart round). */
    Round round;
    /** Armed by {@link #awaitRestart}: the next close by the server starts a restart round. */
    private boolean startRoundOnClose;
    private CompletableFuture<Round> restartStarted;

    StormClients(EventLoop loop, Transports transport, Targets targets, Topology topology, FrameWriter writer,
                 List<InetSocketAddress> sources, int maxInFlight, long handshakeTimeoutMillis) {
        this.loop = loop;
        this.context = new LoadContext(targets, topology, writer, this);
        this.sources = sources;
        this.maxInFlight = maxInFlight;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.bootstrap = Connections.bootstrap(loop, transport, sources, handshakeTimeoutMillis);
        int n = topology.connections;
        this.current = new LoadConnection[n];
        this.up = new boolean[n];
        this.upSinceNanos = new long[n];
        this.attempt = new int[n];
        this.advisedUntilNanos = new long[n];
    }

    int size() {
        return current.length;
    }

    int upCount() {
        return upCount;
    }

    /** A storm: every client that is down connects now, all at once (within {@code maxInFlight}). */
    Round storm(String name) {
        Round r = new Round(name, System.nanoTime());
        round = r;
        retrying = true;
        context.closing = false;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == null) {
                waiting.add(i);
            }
        }
        launch();
        checkAllUp();
        return r;
    }

    /**
     * Arms a restart round: it starts at the next close by the server and completes once every client is back.
     * Returns its future, which completes with the round.
     */
    CompletableFuture<Round> awaitRestart() {
        CompletableFuture<Round> started = new CompletableFuture<>();
        restartStarted = started;
        startRoundOnClose = true;
        retrying = true;
        context.closing = false;
        return started;
    }

    /** Stops retrying: clients still down stay down; for a round's deadline. */
    void stopRetrying() {
        retrying = false;
        waiting.clear();
    }

    /** Ends the current round's bookkeeping, so later events no longer count in it. */
    void endRound() {
        round = null;
    }

    /** Closes every connection and stops retrying; their closes are expected, so none starts a reconnect. */
    void closeAll() {
        stopRetrying();
        round = null;
        startRoundOnClose = false;
        context.closing = true;
        inFlight = 0;
        upCount = 0;
        for (int i = 0; i < current.length; i++) {
            LoadConnection c = current[i];
            current[i] = null;
            up[i] = false;
            attempt[i] = 0;
            if (c != null) {
                closing.add(c);
                if (c.isReady()) {
                    c.close();
                } else {
                    c.fail("closed by the bench");
                }
            }
        }
    }

    /** Connections closed by {@link #closeAll} that are still open. */
    int stillOpen() {
        closing.removeIf(c -> !c.isOpen());
        return closing.size();
    }

    private void launch() {
        if (launching) {
            return; // a synchronous failure inside open() re-enters; the outer loop carries on
        }
        launching = true;
        try {
            while (inFlight < maxInFlight && !waiting.isEmpty()) {
                open(waiting.poll());
            }
        } finally {
            launching = false;
        }
    }

    private void open(int i) {
        LoadConnection c = new LoadConnection(context, i);
        current[i] = c;
        inFlight++;
        if (round != null) {
            round.attempts++;
        }
        Connections.connect(bootstrap, c, sources, i, loop, handshakeTimeoutMillis);
    }

    /** Schedules client {@code i}'s next attempt. */
    private void retryLater(int i) {
        current[i] = null;
        if (!retrying) {
            return;
        }
        long windowLeftMillis = advisedUntilNanos[i] == 0 ? 0
                : TimeUnit.NANOSECONDS.toMillis(advisedUntilNanos[i] - System.nanoTime());
        long delay = Backoff.delayMillis(attempt[i], windowLeftMillis, ThreadLocalRandom.current());
        attempt[i] = Backoff.next(attempt[i]);
        loop.schedule(() -> {
            if (retrying && current[i] == null) {
                waiting.add(i);
                launch();
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    private boolean isCurrent(LoadConnection c) {
        return current[c.index] == c;
    }

    @Override
    public void handshakeDone(LoadConnection c, long nanos) {
        if (!isCurrent(c)) {
            return;
        }
        inFlight--;
        if (round != null) {
            round.handshakes++;
            round.handshakeMicros.recordValue(Math.min(round.handshakeMicros.getHighestTrackableValue(), nanos / 1000));
        }
        launch();
    }

    @Override
    public void ready(LoadConnection c) {
        if (!isCurrent(c)) {
            return;
        }
        int i = c.index;
        long now = System.nanoTime();
        up[i] = true;
        upSinceNanos[i] = now;
        advisedUntilNanos[i] = 0;
        upCount++;
        Round r = round;
        if (r != null) {
            r.cameUp++;
            if (r.firstUpNanos == 0) {
                r.firstUpNanos = now;
            }
            r.lastUpNanos = now;
            r.upMillis.recordValue(Math.min(r.upMillis.getHighestTrackableValue(),
                    TimeUnit.NANOSECONDS.toMillis(now - r.startNanos)));
        }
        checkAllUp();
    }

    @Override
    public void failed(LoadConnection c, String reason) {
        if (!isCurrent(c)) {
            return;
        }
        if (!c.handshaken()) {
            inFlight--;
        }
        Round r = round;
        if (r != null) {
            r.failedAttempts++;
            if (r.failureReasons.size() < MAX_REASONS || r.failureReasons.containsKey(reason)) {
                r.failureReasons.merge(reason, 1, Integer::sum);
            }
        }
        retryLater(c.index);
        launch();
    }

    @Override
    public void closed(LoadConnection c, int code) {
        if (!isCurrent(c)) {
            return;
        }
        int i = c.index;
        long now = System.nanoTime();
        up[i] = false;
        upCount--;
        if (round == null && startRoundOnClose) {
            startRoundOnClose = false;
            round = new Round("restart", now);
            restartStarted.complete(round);
        }
        if (round != null) {
            round.closedByServer++;
            round.advisedMillis = Math.max(round.advisedMillis, c.advisedMillis());
        }
        context.current.onClose(code);
        attempt[i] = Backoff.afterClose(attempt[i], code, now - upSinceNanos[i]);
        long advised = Math.min(c.advisedMillis(), Backoff.ADVISED_MAX_MILLIS);
        advisedUntilNanos[i] = advised > 0 ? now + TimeUnit.MILLISECONDS.toNanos(advised) : 0;
        retryLater(i);
    }

    private void checkAllUp() {
        Round r = round;
        if (r != null && upCount == current.length) {
            r.allUp.complete(null);
        }
    }

    /** Failure reasons of a round, copied for the main thread. */
    static Map<String, Integer> reasons(Round r) {
        return new LinkedHashMap<>(r.failureReasons);
    }
}
