package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An upgraded connection carries only what a WebSocket needs: idle connections are what a chat server holds most
 * of, and every handler left over from the handshake costs each of them a context and its state.
 */
class UpgradedPipelineTest {

    @Test
    void upgradedConnectionKeepsNoHttpHandler() throws Exception {
        try (TestServer server = TestServer.start(); TestClient client = TestClient.connect(server.port(), "alice")) {
            client.expect("welcome");
            Channel ch = server.chat().channels().iterator().next();
            List<String> names = ch.eventLoop().submit(() -> {
                List<String> handlers = new ArrayList<>();
                for (Map.Entry<String, ChannelHandler> e : ch.pipeline()) {
                    handlers.add(e.getKey() + "=" + e.getValue().getClass().getSimpleName());
                    assertFalse(e.getValue() instanceof HttpServerCodec, e.getKey());
                    assertFalse(e.getValue() instanceof HttpObjectAggregator, e.getKey());
                    assertFalse(e.getValue() instanceof ChatHttpHandler, e.getKey());
                    assertFalse(e.getValue() instanceof HttpIdleHandler, e.getKey());
                }
                // Netty's handshaker holds the request's URL; the close handshake does without it.
                assertNull(ch.attr(AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER")).get());
                return handlers;
            }).get(10, TimeUnit.SECONDS);
            // The WebSocket codec (decoder, encoder, UTF-8 validator, protocol handler, protocol errors,
            // aggregator) and chat's frame handler; nothing of the HTTP side, and no timer of its own (Heartbeats).
            assertEquals(7, names.size(), names.toString());
        }
    }
}
