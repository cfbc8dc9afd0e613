package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.chatd.core.auth.JwtIdentityResolver;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Arbitrary text into the inbound frame path of {@link ChatFrameHandler} (JSON parsing, validation, dispatch, token
 * refresh): it must never throw out of the handler, never leak a buffer, never close the connection, and answer
 * only with well-formed server frames. {@code scripts/test} replays the seed corpus in
 * {@code ChatFrameHandlerFuzzTestInputs}; {@code scripts/fuzz MINUTES} fuzzes for real.
 */
class ChatFrameHandlerFuzzTest {

    /** Frames a single client request may cause on its own connection. */
    private static final Set<String> REPLY_TYPES = Set.of("error", "ack", "pong", "join", "leave", "who", "private");
    private static final Set<String> ERROR_CODES = Arrays.stream(ErrorCode.values())
            .map(ErrorCode::wireName).collect(Collectors.toUnmodifiableSet());

    @FuzzTest(maxDuration = "10m")
    void inboundTextFrame(@NotNull String text) {
        Chat chat = Chat.create(ChatConfig.newBuilder().maxContentChars(64).maxRoomsPerConnection(3)
                .serveWebClient(false)
                .identityResolver(JwtIdentityResolver.newBuilder().hmacSecret(Tokens.SECRET).build())
                .build());
        ChatFrameHandler handler = new ChatFrameHandler(chat);
        handler.identified(Identity.of("alice"));
        EmbeddedChannel channel = new EmbeddedChannel(handler);
        try {
            channel.pipeline().fireUserEventTriggered(
                    new HandshakeComplete("/ws", new DefaultHttpHeaders(), null));
            channel.runPendingTasks();
            assertEquals("welcome", nextFrame(channel).get("type").getAsString());
            assertEquals("join", nextFrame(channel).get("type").getAsString());

            TextWebSocketFrame frame = new TextWebSocketFrame(text);
            channel.writeInbound(frame);
            channel.runPendingTasks();
            // An empty frame shares Unpooled.EMPTY_BUFFER, whose count never drops.
            if (!text.isEmpty()) {
                assertEquals(0, frame.refCnt(), "the handler releases every inbound frame");
            }
            channel.checkException(); // nothing escaped the handler

            for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
                if (!(out instanceof ByteBuf)) {
                    io.netty.util.ReferenceCountUtil.release(out);
                    fail("a text frame made the server write " + out.getClass().getSimpleName());
                }
                checkReply(decode((ByteBuf) out));
            }
            assertTrue(channel.isActive(), "a text frame never closes the connection");
        } finally {
            channel.close();
            channel.runPendingTasks();
            StringBuilder left = new StringBuilder();
            for (Object o = channel.readOutbound(); o != null; o = channel.readOutbound()) {
                left.append(o instanceof ByteBuf ? ((ByteBuf) o).toString(StandardCharsets.UTF_8) : o.toString());
                io.netty.util.ReferenceCountUtil.release(o);
            }
            assertFalse(channel.finishAndReleaseAll(), () -> "nothing left unread: " + left + " for " + text);
        }
    }

    private static void checkReply(JsonObject reply) {
        String type = reply.get("type").getAsString();
        assertTrue(REPLY_TYPES.contains(type), () -> "unexpected reply " + reply);
        if (type.equals("error")) {
            assertTrue(ERROR_CODES.contains(reply.get("code").getAsString()), reply::toString);
            assertTrue(reply.get("message").getAsJsonPrimitive().isString(), reply::toString);
            assertFalse(reply.get("code").getAsString().equals("internal"), () -> "a server bug: " + reply);
        }
    }

    private static JsonObject nextFrame(EmbeddedChannel channel) {
        ByteBuf frame = channel.readOutbound();
        assertNotNull(frame, "expected an outbound frame");
        return decode(frame);
    }

    /** Checks the raw frame header (FIN, text, exact length) and parses its JSON; releases the buffer. */
    private static JsonObject decode(ByteBuf frame) {
        try {
            assertEquals(0x81, frame.readUnsignedByte(), "a single unmasked text frame");
            long length = frame.readUnsignedByte();
            if (length == 126) {
                length = frame.readUnsignedShort();
            } else if (length == 127) {
                length = frame.readLong();
            }
            assertEquals(length, frame.readableBytes());
            JsonElement json = JsonParser.parseString(frame.toString(StandardCharsets.UTF_8));
            assertTrue(json.isJsonObject(), json::toString);
            return json.getAsJsonObject();
        } finally {
            frame.release();
        }
    }
}
