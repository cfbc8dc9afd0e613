package io.chatd.core;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the silent WebSockets of one event loop honest. After {@link ChatConfig#pingInterval()} without a frame
 * from the client, the server sends a protocol ping (browsers answer by themselves); a connection still silent at
 * {@link ChatConfig#idleTimeout()} is closed with {@link CloseCodes#IDLE_TIMEOUT}.
 *
 * <p>One sweep per loop instead of a timer per connection: idle connections are what a chat server holds most
 * of, and a pipeline handler, its context and its timer cost about 300 bytes each. A connection costs a slot
 * here and the three heartbeat fields of {@link Connection}. The sweep runs a few times per ping interval, so a
 * ping or a close comes at most {@link #periodNanos} late.
 *
 * <p>One instance per event loop, used only on that loop's thread.
 */
final class Heartbeats {

    /** The sweep runs at least this often: a ping or close is never more than a second late. */
    private static final long MAX_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** ... and at most this often, whatever tests configure. */
    private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final EventLoop loop;
    private final Ticker ticker;
    private final long pingAfterNanos;
    private final long closeAfterNanos;
    private final long periodNanos;
    private final ChatStats stats;
    private final Runnable sweep = this::sweep;
    /** The connections of this loop; {@link Connection#heartbeatSlot} is each one's index. */
    private Connection[] members = new Connection[64];
    private int size;
    /** Null while no connection is watched: an idle server wakes for nothing. */
    private ScheduledFuture<?> sweeping;

    Heartbeats(EventLoop loop, ChatConfig config, ChatStats stats) {
        this.loop = loop;
        this.ticker = loop.ticker();
        this.pingAfterNanos = config.pingInterval().toNanos();
        this.closeAfterNanos = config.idleTimeout().toNanos();
        long shortestWait = Math.min(pingAfterNanos, closeAfterNanos - pingAfterNanos);
        this.periodNanos = Math.max(MIN_PERIOD_NANOS, Math.min(MAX_PERIOD_NANOS, shortestWait / 4));
        this.stats = stats;
    }

    /** The clock of {@link Connection#lastHeardNanos}: the loop's, which tests can move. */
    long now() {
        return ticker.nanoTime();
    }

    /** Starts watching a newly opened connection of this loop. */
    void watch(Connection connection) {
        connection.lastHeardNanos = now();
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
        }
        connection.heartbeatSlot = size;
        members[size++] = connection;
        if (sweeping == null) {
            sweeping = loop.scheduleAtFixedRate(sweep, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Stops watching the connection; a connection no longer watched is left alone. */
    void forget(Connection connection) {
        int slot = connection.heartbeatSlot;
        if (slot < 0) {
            return;
        }
        connection.heartbeatSlot = -1;
        Connection last = members[--size];
        members[size] = null;
        if (last != connection) {
            members[slot] = last;
            last.heartbeatSlot = slot;
        }
    }

    /** Connections watched, for tests. */
    int watched() {
        return size;
    }

    private void sweep() {
        if (size == 0) {
            sweeping.cancel(false);
            sweeping = null;
            return;
        }
        long now = now();
        // Backwards, so that forgetting the connection at i moves an already swept one into its slot.
        for (int i = size - 1; i >= 0; i--) {
            Connection connection = members[i];
            long silence = now - connection.lastHeardNanos;
            if (silence >= closeAfterNanos) {
                forget(connection);
                stats.idleDisconnects.increment();
                Disconnect.close(connection.channel, CloseCodes.IDLE_TIMEOUT, "idle timeout");
            } else if (silence >= pingAfterNanos && !connection.pinged) {
                connection.pinged = true;
                connection.channel.writeAndFlush(new PingWebSocketFrame(), connection.channel.voidPromise());
            }
        }
    }
}
