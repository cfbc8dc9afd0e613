package io.chatd.core;

import io.chatd.core.auth.BearerTokens;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.CharsetUtil;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of chat, before any upgrade: serves {@code GET /healthz} and the web client, and upgrades a
 * WebSocket handshake ({@link WebSocketUpgrade}) only for the exact WebSocket path, from an allowed origin, with a
 * resolvable identity. Stateless, so one instance serves every channel.
 */
@ChannelHandler.Sharable
final class ChatHttpHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ChatHttpHandler.class);
    /** Handshake access lines, under their own name so that operators can route or silence them. */
    private static final Logger accessLog = LoggerFactory.getLogger("io.chatd.access");
    /** Any client can make these refusals happen at will, so at most one line each per 10 s. */
    private final LogThrottle serverFullLog = new LogThrottle(10, TimeUnit.SECONDS);
    private final LogThrottle perIpLog = new LogThrottle(10, TimeUnit.SECONDS);
    /** Handshake access lines: at most 20 a second, so that a connection storm cannot flood the log. */
    private final LogThrottle accessThrottle = new LogThrottle(20, 1, TimeUnit.SECONDS);
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private final ChatConfig config;
    private final Chat chat;
    private final WebClient webClient;
    private final WebSocketUpgrade upgrade;

    ChatHttpHandler(ChatConfig config, Chat chat, WebSocketUpgrade upgrade) {
        this.config = config;
        this.chat = chat;
        this.webClient = config.serveWebClient() ? WebClient.load() : null;
        this.upgrade = upgrade;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest)) {
            ctx.fireChannelRead(msg);
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        if (!request.decoderResult().isSuccess()) {
            request.release();
            respond(ctx, null, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request\n");
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (path.equals(config.websocketPath())) {
            gateHandshake(ctx, request);
            return;
        }
        try {
            route(ctx, request, path);
        } finally {
            request.release();
        }
    }

    private void gateHandshake(ChannelHandlerContext ctx, FullHttpRequest request) {
        // The channel's own handler takes what the gate finds out: the connection slot, then the identity.
        ChatFrameHandler frames = ctx.pipeline().get(ChatFrameHandler.class);
        Identity identity = null;
        HttpResponseStatus refusal = null;
        String reason = null;
        if (frames == null) { // only an embedder removing chat's own handler gets here
            refusal = HttpResponseStatus.INTERNAL_SERVER_ERROR;
            reason = "chat handler missing\n";
        } else if (!HttpMethod.GET.equals(request.method())) {
            refusal = HttpResponseStatus.METHOD_NOT_ALLOWED;
            reason = "WebSocket handshakes use GET\n";
        } else if (!WebSocketUpgrade.isUpgrade(request)) {
            refusal = HttpResponseStatus.BAD_REQUEST;
            reason = "expected a WebSocket upgrade\n";
        } else if (!WebSocketUpgrade.isVersion13(request)) {
            refusal = HttpResponseStatus.UPGRADE_REQUIRED;
            reason = "WebSocket version " + WebSocketUpgrade.VERSION + " required\n";
        } else if (!WebSocketUpgrade.hasKey(request)) {
            refusal = HttpResponseStatus.BAD_REQUEST;
            reason = "missing Sec-WebSocket-Key\n";
        } else if (!config.originPolicy().allows(request)) {
            refusal = HttpResponseStatus.FORBIDDEN;
            reason = "origin not allowed\n";
        } else if ((refusal = admit(ctx, request, frames)) != null) {
            reason = refusal.code() == 503 ? "server at its connection limit, retry later\n"
                    : "too many connections from your address\n";
        } else {
            try {
                identity = config.identityResolver().resolve(request);
                frames.identified(identity);
                BearerTokens.stripFromSubprotocols(request);
            } catch (IdentityException e) {
                refusal = e.status();
                reason = e.getMessage() + '\n';
            }
        }
        logAccess(ctx, request, identity, refusal, reason);
        if (refusal != null) {
            chat.stats().handshake(ChatStats.HandshakeResult.ofStatus(refusal.code()));
            request.release();
            refuse(ctx, refusal, reason);
        } else {
            try {
                upgrade.upgrade(ctx, request);
            } finally {
                request.release();
            }
        }
    }

    /**
     * One INFO line per handshake (result, user, client address per --trust-proxy, connection id), as key-value
     * pairs too for JSON logs; at most 20 a second, the next line telling how many were held back.
     */
    private void logAccess(ChannelHandlerContext ctx, FullHttpRequest request, Identity identity,
                           HttpResponseStatus refusal, String reason) {
        if (!accessLog.isInfoEnabled()) {
            return;
        }
        long heldBack = accessThrottle.tryAcquire();
        if (heldBack < 0) {
            return;
        }
        String user = refusal == null && identity != null ? LogSafe.escape(identity.user()) : "-";
        String address = LogSafe.escape(config.trustedProxies().clientAddress(ctx.channel().remoteAddress(),
                request.headers()));
        String result = refusal == null ? "ok" : String.valueOf(refusal.code());
        String connection = ctx.channel().id().asShortText();
        accessLog.atInfo()
                .addKeyValue("event", "handshake").addKeyValue("result", result).addKeyValue("user", user)
                .addKeyValue("client", address).addKeyValue("channel", connection)
                .log("handshake {} user={} client={} channel={}{}{}", result, user, address, connection,
                        refusal == null ? "" : " (" + LogSafe.escape(reason.trim()) + ")",
                        heldBack > 0 ? " (" + heldBack + " handshake lines held back)" : "");
    }

    /**
     * Takes a connection slot, which the channel's handler gives back when the channel closes (one per channel,
     * whatever number of handshakes it attempts), or says which limit refuses it.
     */
    private HttpResponseStatus admit(ChannelHandlerContext ctx, FullHttpRequest request, ChatFrameHandler frames) {
        if (frames.holdsSlot()) {
            return null;
        }
        String address = config.trustedProxies().clientAddress(ctx.channel().remoteAddress(), request.headers());
        ConnectionLimiter.Refusal refusal = chat.connectionLimiter().acquire(address);
        if (refusal == null) {
            frames.slotTaken(chat.connectionLimiter().slotFor(address));
            return null;
        }
        if (refusal == ConnectionLimiter.Refusal.SERVER_FULL) {
            long heldBack = serverFullLog.tryAcquire();
            if (heldBack >= 0) {
                log.warn("refused a connection: --max-connections ({}) reached ({} more refused since the last line)",
                        config.maxConnections(), heldBack);
            }
            return HttpResponseStatus.SERVICE_UNAVAILABLE;
        }
        long heldBack = perIpLog.tryAcquire();
        if (heldBack >= 0) {
            log.info("refused a connection from {}: --max-connections-per-ip ({}) reached ({} more refused since "
                    + "the last line)", address, config.maxConnectionsPerIp(), heldBack);
        }
        return HttpResponseStatus.TOO_MANY_REQUESTS;
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
        boolean readOnly = HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
        if (path.equals("/healthz") && readOnly) {
            // "auth" tells the web client whether to offer its token field.
            String body = "{\"status\":\"ok\",\"connections\":" + chat.connectionCount() + ",\"auth\":\""
                    + (config.identityResolver() instanceof QueryParameterIdentityResolver ? "none" : "token")
                    + "\"}\n";
            respond(ctx, request, HttpResponseStatus.OK, body, "application/json");
            return;
        }
        if (path.equals("/readyz") && readOnly) {
            readiness(ctx, request, chat);
            return;
        }
        WebClient.Asset asset = webClient == null ? null : webClient.asset(path);
        if (asset != null && readOnly) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(asset.bytes()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, asset.contentType());
            response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            response.headers().set("X-Content-Type-Options", "nosniff");
            // The client has no inline script or style: should an injection bug ever slip into it, nothing
            // injected could run, load from elsewhere, or frame the page.
            response.headers().set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            send(ctx, request, response);
            return;
        }
        respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
    }

    /** Answers {@code /readyz}: 200 while {@link Chat#isReady()}, 503 once draining or when the store fails. */
    static void readiness(ChannelHandlerContext ctx, FullHttpRequest request, Chat chat) {
        boolean ready = chat.isReady();
        respond(ctx, request, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                ready ? "{\"status\":\"ready\"}\n" : "{\"status\":\"not ready\"}\n", "application/json");
    }

    /** Refuses a handshake and closes; the reason never contains what the client sent. */
    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String reason) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(reason, CharsetUtil.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (status.code() == 401) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        } else if (status.code() == 429 || status.code() == 503) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, "5");
        } else if (status.code() == 426) {
            response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, WebSocketUpgrade.VERSION);
        }
        send(ctx, null, response);
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                String body) {
        respond(ctx, request, status, body, "text/plain; charset=UTF-8");
    }

    static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                        String body, String contentType) {
        ByteBuf content = Unpooled.copiedBuffer(body, CharsetUtil.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        send(ctx, request, response);
    }

    /** Keeps the connection open only for a well-formed keep-alive request. */
    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        boolean keepAlive = request != null && HttpUtil.isKeepAlive(request);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (request != null && HttpMethod.HEAD.equals(request.method())) {
            response.content().clear();
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
