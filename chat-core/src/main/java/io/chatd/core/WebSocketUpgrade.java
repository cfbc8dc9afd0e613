package io.chatd.core;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;

/**
 * Switches a gated handshake request to WebSocket so that the {@code 101} response and what the connection
 * writes on opening (its {@code welcome}) leave in one write.
 *
 * <p>Netty's handshake handler flushes the {@code 101} alone and reports {@link HandshakeComplete} only once that
 * write has completed, so the welcome always cost a second system call and TCP segment. Here the {@code 101} is
 * queued, the HTTP handlers give way to the WebSocket codec at once (the HTTP encoder has already turned the
 * response into bytes), {@link HandshakeComplete} goes down the pipeline, and one flush sends it all. The handshake
 * itself (the accept key, the subprotocol) stays Netty's {@link WebSocketServerHandshaker13}.
 */
final class WebSocketUpgrade {

    /**
     * The handshake handler {@code WebSocketServerProtocolHandler} adds before itself (its class is not public). It
     * would sit unused in every pipeline, since the gate upgrades instead.
     */
    static final String NETTY_HANDSHAKE_HANDLER =
            "io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandshakeHandler";
    /** Browsers have spoken only this version since 2012; an older one gets 426 naming it. */
    static final String VERSION = WebSocketVersion.V13.toHttpHeaderValue();

    private final String subprotocols;
    private final WebSocketDecoderConfig decoderConfig;

    WebSocketUpgrade(String subprotocols, WebSocketDecoderConfig decoderConfig) {
        this.subprotocols = subprotocols;
        this.decoderConfig = decoderConfig;
    }

    /** Whether the request asks for a WebSocket at all: {@code Upgrade: websocket} and {@code Connection: upgrade}. */
    static boolean isUpgrade(HttpRequest request) {
        return request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                && request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    static boolean isVersion13(HttpRequest request) {
        return VERSION.equals(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
    }

    static boolean hasKey(HttpRequest request) {
        return request.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    }

    /**
     * Answers {@code 101} from the gate's context and makes the pipeline a WebSocket one; the gate and its
     * deadline leave it. The request must pass {@link #isUpgrade}, {@link #isVersion13} and {@link #hasKey};
     * it stays the caller's to release.
     */
    void upgrade(ChannelHandlerContext gate, FullHttpRequest request) {
        Handshaker handshaker = new Handshaker(subprotocols, decoderConfig);
        FullHttpResponse response = handshaker.response(request);
        String subprotocol = response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        ChannelPipeline p = gate.pipeline();
        gate.write(response, gate.voidPromise()); // encoded now by the HTTP encoder; flushed with the welcome
        removeIfPresent(p, HttpObjectAggregator.class);
        removeIfPresent(p, HttpContentCompressor.class);
        ChannelHandlerContext codec = p.context(HttpServerCodec.class);
        if (codec != null) {
            // Bytes the client sent after its request (none, unless it did not wait for the 101) go to the decoder.
            p.replace(codec.name(), "wsdecoder", handshaker.decoder());
            p.addBefore("wsdecoder", "wsencoder", handshaker.encoder());
        } else { // an embedder's separate HTTP decoder and encoder
            p.replace(HttpRequestDecoder.class, "wsdecoder", handshaker.decoder());
            p.replace(HttpResponseEncoder.class, "wsencoder", handshaker.encoder());
        }
        removeIfPresent(p, HandshakeDeadline.class); // the loop's Heartbeats watch an open connection
        p.remove(gate.handler());
        p.fireUserEventTriggered(new HandshakeComplete(request.uri(), request.headers(), subprotocol));
        gate.channel().flush();
    }

    private static void removeIfPresent(ChannelPipeline p, Class<? extends ChannelHandler> type) {
        ChannelHandler handler = p.get(type);
        if (handler != null) {
            p.remove(handler);
        }
    }

    /** Netty's version-13 handshake, opened up for {@link #upgrade}: one per request, as Netty keeps state in it. */
    private static final class Handshaker extends WebSocketServerHandshaker13 {

        Handshaker(String subprotocols, WebSocketDecoderConfig decoderConfig) {
            super(null, subprotocols, decoderConfig);
        }

        FullHttpResponse response(FullHttpRequest request) {
            return newHandshakeResponse(request, null);
        }

        WebSocketFrameDecoder decoder() {
            return newWebsocketDecoder();
        }

        WebSocketFrameEncoder encoder() {
            return newWebSocketEncoder();
        }
    }
}
