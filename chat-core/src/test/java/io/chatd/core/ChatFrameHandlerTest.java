package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ChatFrameHandler} alone, on an {@link EmbeddedChannel}, with tiny limits. */
class ChatFrameHandlerTest {

    private Chat chat;
    private EmbeddedChannel channel;

    @BeforeEach
    void openConnection() {
        // Flush passes are tasks here, run by runPendingTasks(): no interval, so none waits for the clock.
        chat = Chat.create(ChatConfig.newBuilder().maxContentChars(10).flushInterval(Duration.ZERO)
                .serveWebClient(false).build());
        ChatFrameHandler handler = new ChatFrameHandler(chat);
        handler.identified(Identity.of("alice"));
        channel = new EmbeddedChannel(handler);
        channel.pipeline().fireUserEventTriggered(new HandshakeComplete("/ws?user=alice", new DefaultHttpHeaders(), null));
        channel.runPendingTasks();
        assertEquals("welcome", readJson().get("type").getAsString());
        assertEquals("join", readJson().get("type").getAsString());
    }

    @AfterEach
    void finish() {
        assertFalse(channel.finishAndReleaseAll(), "no frame left unread");
        chat.close();
    }

    private void receive(String text) {
        channel.writeInbound(new TextWebSocketFrame(text));
        channel.runPendingTasks();
    }

    /** Decodes the next outbound raw frame (unmasked, FIN, text) to JSON. */
    private JsonObject readJson() {
        ByteBuf frame = channel.readOutbound();
        assertNotNull(frame, "expected an outbound frame");
        try {
            assertEquals(0x81, frame.readUnsignedByte());
            int length = frame.readUnsignedByte();
            if (length == 126) {
                length = frame.readUnsignedShort();
            }
            assertEquals(length, frame.readableBytes());
            return JsonParser.parseString(frame.toString(StandardCharsets.UTF_8)).getAsJsonObject();
        } finally {
            frame.release();
        }
    }

    private void assertError(String code) {
        JsonObject error = readJson();
        assertEquals("error", error.get("type").getAsString());
        assertEquals(code, error.get("code").getAsString(), error::toString);
    }

    @Test
    void malformedJsonGetsBadJson() {
        receive("{\"type\":");
        assertError("bad_json");
        receive("{\"type\":\"ping\"} trailing");
        assertError("bad_json");
        receive("{type:'ping'}"); // lenient JSON is still not JSON
        assertError("bad_json");
        receive("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
        assertError("bad_json");
    }

    @Test
    void missingOrWrongTypedFieldsGetInvalid() {
        receive("{}");
        assertError("invalid");
        receive("{\"type\":7}");
        assertError("invalid");
        receive("{\"type\":\"msg\",\"room\":\"lobby\"}");
        assertError("invalid");
        receive("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"\"}");
        assertError("invalid");
        receive("{\"type\":\"private\",\"to\":{\"x\":1},\"content\":\"hi\"}");
        assertError("invalid");
        receive("{\"type\":\"ping\",\"id\":\"" + "i".repeat(65) + "\"}");
        assertError("invalid");
    }

    @Test
    void contentOverTheLimitGetsTooLongWithTheRequestId() {
        receive("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"12345678901\",\"id\":\"big\"}");
        JsonObject error = readJson();
        assertEquals("too_long", error.get("code").getAsString());
        assertEquals("big", error.get("id").getAsString());
    }

    @Test
    void contentLimitCountsCharactersNotUtf16Units() {
        String tenEmoji = "\uD83D\uDE00".repeat(10);
        // No id: the ack would come from the store thread. Accepted means no error before the pong.
        receive("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"" + tenEmoji + "\"}");
        receive("{\"type\":\"ping\"}");
        assertEquals("pong", readJson().get("type").getAsString());
    }

    @Test
    void unknownTypeAndForeignRoomAreRefused() {
        receive("{\"type\":\"shout\"}");
        assertError("unknown_type");
        receive("{\"type\":\"msg\",\"room\":\"elsewhere\",\"content\":\"hi\"}");
        assertError("not_in_room");
        receive("{\"type\":\"who\",\"room\":\"elsewhere\"}");
        assertError("not_in_room");
    }

    @Test
    void pingIsAnsweredWithPong() {
        receive("{\"type\":\"ping\",\"id\":\"p1\"}");
        JsonObject pong = readJson();
        assertEquals("pong", pong.get("type").getAsString());
        assertEquals("p1", pong.get("id").getAsString());
    }

    @Test
    void binaryFrameIsAnsweredWithClose1003() {
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        CloseWebSocketFrame close = channel.readOutbound();
        assertEquals(CloseCodes.UNSUPPORTED_DATA, close.statusCode());
        close.release();
        assertFalse(channel.isActive());
    }

    @Test
    void closingLeavesEveryRegistry() {
        assertEquals(1, chat.connectionCount());
        assertEquals(1, chat.userCount());
        channel.close();
        channel.runPendingTasks();
        assertEquals(0, chat.connectionCount());
        assertEquals(0, chat.userCount());
        assertEquals(0, chat.roomCount());
        assertNull(channel.readOutbound());
        assertTrue(chat.stats().connectionsOpened() == 1);
    }
}
