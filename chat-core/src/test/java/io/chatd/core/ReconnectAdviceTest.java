package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A graceful close tells every client, in a {@code reconnect} frame just before the close frame, over what window to
 * spread its reconnect: the open connections at the configured rate (issue 11, a restart's reconnect storm).
 */
@Timeout(30)
class ReconnectAdviceTest {

    private static final Duration QUIET = Duration.ofMillis(300);

    private static List<TestClient> connect(TestServer server, int count) {
        List<TestClient> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TestClient client = TestClient.connect(server.port(), "user" + i);
            client.expect("welcome");
            clients.add(client);
        }
        return clients;
    }

    /** The frames {@code client} received up to its close, which must be {@code code}; the last one is the advice. */
    private static JsonObject adviceBeforeClose(TestClient client, int code) {
        assertEquals(code, client.awaitCloseCode());
        List<JsonObject> frames = client.drain(QUIET);
        JsonObject last = frames.isEmpty() ? null : frames.get(frames.size() - 1);
        assertEquals("reconnect", last == null ? null : last.get("type").getAsString(),
                () -> "the last frame before the close: " + frames);
        assertEquals(2, last.size(), () -> "type and within only: " + last);
        return last;
    }

    /** Closes every connection gracefully: each client must be advised a window of {@code withinMillis} first. */
    private static void assertEachAdvisedBeforeGoingAway(TestServer server, List<TestClient> clients,
                                                         long withinMillis) {
        server.chat().closeAll().awaitUninterruptibly(5_000);
        for (TestClient client : clients) {
            assertEquals(withinMillis, adviceBeforeClose(client, CloseCodes.GOING_AWAY).get("within").getAsLong());
            client.close();
        }
    }

    @Test
    void aGracefulCloseAdvisesEachClientToSpreadItsReconnectOverTheConnectionsAtTheConfiguredRate() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").reconnectRate(1))) {
            // 3 connections at 1 handshake a second: 3 s.
            assertEachAdvisedBeforeGoingAway(server, connect(server, 3), 3000);
        }
    }

    @Test
    void aSmallServerAdvisesHalfASecondTheWebClientsUsualFirstRetry() {
        try (TestServer server = TestServer.start(b -> b.defaultRoom(""))) {
            // 2 connections at the default 500 a second would be 4 ms: the floor.
            assertEachAdvisedBeforeGoingAway(server, connect(server, 2), 500);
        }
    }

    @Test
    void theWindowIsTheConnectionsAtTheRateRoundedUpBetweenHalfASecondAndAMinute() {
        assertEquals(500, ReconnectAdvice.windowMillis(0, 1000));
        assertEquals(500, ReconnectAdvice.windowMillis(500, 1000));
        assertEquals(501, ReconnectAdvice.windowMillis(501, 1000));
        assertEquals(10_000, ReconnectAdvice.windowMillis(10_000, 1000));
        assertEquals(3334, ReconnectAdvice.windowMillis(10_000, 3000));
        assertEquals(60_000, ReconnectAdvice.windowMillis(61, 1));
        assertEquals(60_000, ReconnectAdvice.windowMillis(Integer.MAX_VALUE, 1));
    }

    @Test
    void aRateBelowOneIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ChatConfig.newBuilder().reconnectRate(0).build());
        assertEquals("reconnectRate must be at least 1: 0", e.getMessage());
    }
}
