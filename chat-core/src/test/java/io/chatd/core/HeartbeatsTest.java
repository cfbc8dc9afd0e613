package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HeartbeatHandler} alone, on an {@link EmbeddedChannel} whose clock the test moves: ping at 1 s, close at 3 s. */
class HeartbeatHandlerTest {

    private final ChatStats stats = new ChatStats();
    private EmbeddedChannel channel;

    @BeforeEach
    void open() {
        ChatConfig config = ChatConfig.newBuilder().pingInterval(Duration.ofSeconds(1))
                .idleTimeout(Duration.ofSeconds(3)).build();
        // The embedded clock follows real time unless frozen: a busy machine could then fire the timers early.
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new HeartbeatHandler(config, stats));
    }

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
    }

    private void upgrade() {
        channel.pipeline().fireUserEventTriggered(new HandshakeComplete("/ws", new DefaultHttpHeaders(), null));
    }

    private void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void aSilentConnectionIsPingedThenClosedWith4001() {
        upgrade();
        advance(999);
        assertNull(channel.readOutbound(), "no ping before the interval");
        advance(1);
        PingWebSocketFrame ping = channel.readOutbound();
        assertInstanceOf(PingWebSocketFrame.class, ping);
        ping.release();

        advance(1999);
        assertNull(channel.readOutbound(), "not closed before the idle timeout");
        advance(1);
        CloseWebSocketFrame close = channel.readOutbound();
        assertEquals(CloseCodes.IDLE_TIMEOUT, close.statusCode());
        close.release();
        assertEquals(1, stats.idleDisconnects());
    }

    @Test
    void aPongAfterThePingKeepsTheConnection() {
        upgrade();
        advance(1000);
        ((PingWebSocketFrame) channel.readOutbound()).release();
        assertTrue(channel.writeInbound(new PongWebSocketFrame()));
        ((PongWebSocketFrame) channel.readInbound()).release();

        advance(2500);
        // The new silence earns a new ping, and no close: the clock restarted at the pong.
        PingWebSocketFrame again = channel.readOutbound();
        assertInstanceOf(PingWebSocketFrame.class, again);
        again.release();
        assertNull(channel.readOutbound());
        assertTrue(channel.isActive());
        assertEquals(0, stats.idleDisconnects());
    }

    @Test
    void aSilentConnectionBeforeTheUpgradeIsClosedWithoutAPing() {
        advance(1000);
        assertNull(channel.readOutbound(), "nothing to ping on plain HTTP");
        assertTrue(channel.isActive());
        advance(2000);
        assertFalse(channel.isActive());
        assertEquals(0, stats.idleDisconnects());
    }
}
