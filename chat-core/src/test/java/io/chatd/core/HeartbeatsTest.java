package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Heartbeats}, the sweep of one loop, on {@link EmbeddedChannel}s whose clock
 * the test moves: ping at 1 s of silence, close at 3 s.
 */
class HeartbeatsTest {

    private final ChatConfig config = ChatConfig.newBuilder().pingInterval(Duration.ofSeconds(1))
            .idleTimeout(Duration.ofSeconds(3)).build();
    private final ChatStats stats = new ChatStats();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    /** The loop the sweep runs on: the first channel's, whose clock moves every channel's tasks. */
    private EmbeddedChannel clock;
    private Heartbeats heartbeats;

    @AfterEach
    void finish() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel newChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        // The embedded clock follows real time unless frozen: a busy machine could then fire the timers early.
        channel.freezeTime();
        channels.add(channel);
        return channel;
    }

    private Connection watched(String user) {
        if (clock == null) {
            clock = newChannel();
            heartbeats = new Heartbeats(clock.eventLoop(), config, stats);
        }
        Connection connection = new Connection(newChannel(), user, null, heartbeats);
        heartbeats.watch(connection);
        return connection;
    }

    /** Reads the connection's next outbound frame, which must be of this type, and releases it. */
    private static void expect(Class<?> type, Connection connection) {
        Object frame = channel(connection).readOutbound();
        try {
            assertInstanceOf(type, frame);
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    private void advance(long millis) {
        clock.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        clock.runScheduledPendingTasks();
    }

    private static EmbeddedChannel channel(Connection connection) {
        return (EmbeddedChannel) connection.channel;
    }

    @Test
    void aSilentConnectionIsPingedThenClosedWith4001() {
        Connection silent = watched("silent");
        advance(999);
        assertNull(channel(silent).readOutbound(), "no ping before the interval");
        advance(1);
        PingWebSocketFrame ping = channel(silent).readOutbound();
        assertInstanceOf(PingWebSocketFrame.class, ping);
        ping.release();

        advance(1999);
        assertNull(channel(silent).readOutbound(), "one ping per silence, and no close before the idle timeout");
        advance(1);
        CloseWebSocketFrame close = channel(silent).readOutbound();
        assertEquals(CloseCodes.IDLE_TIMEOUT, close.statusCode());
        close.release();
        assertEquals(1, stats.idleDisconnects());
        assertEquals(0, heartbeats.watched(), "a closed connection is no longer watched");
    }

    @Test
    void aClientHeardAfterThePingKeepsItsConnection() {
        Connection answering = watched("answering");
        advance(1000);
        expect(PingWebSocketFrame.class, answering);
        advance(500);
        answering.heard(); // its pong

        advance(2500);
        // The new silence earns a new ping, and no close: the clock restarted when it was heard.
        PingWebSocketFrame again = channel(answering).readOutbound();
        assertInstanceOf(PingWebSocketFrame.class, again);
        again.release();
        assertNull(channel(answering).readOutbound());
        assertTrue(answering.channel.isActive());
        assertEquals(0, stats.idleDisconnects());
    }

    @Test
    void eachConnectionIsTimedFromItsOwnSilenceAndAForgottenOneIsLeftAlone() {
        Connection first = watched("first");
        advance(500);
        Connection second = watched("second");
        Connection forgotten = watched("forgotten");
        Connection third = watched("third");
        heartbeats.forget(forgotten);
        heartbeats.forget(forgotten); // a closed connection is forgotten again at channelInactive: harmless
        assertEquals(3, heartbeats.watched());

        advance(500);
        expect(PingWebSocketFrame.class, first);
        assertNull(channel(second).readOutbound(), "second has been silent 500 ms only");
        advance(500);
        for (Connection c : List.of(second, third)) {
            expect(PingWebSocketFrame.class, c);
        }
        advance(1500);
        expect(CloseWebSocketFrame.class, first);
        assertNull(channel(second).readOutbound());
        advance(500);
        for (Connection c : List.of(second, third)) {
            expect(CloseWebSocketFrame.class, c);
        }
        assertNull(channel(forgotten).readOutbound(), "never pinged nor closed");
        assertEquals(3, stats.idleDisconnects());
        assertEquals(0, heartbeats.watched());

        // The next sweep finds nobody to watch and stops; the next connection starts it again.
        advance(250);
        Connection later = watched("later");
        advance(1000);
        expect(PingWebSocketFrame.class, later);
    }
}
