package io.chatd.server;

import io.chatd.core.AdminApiHandler;
import io.chatd.core.Chat;
import io.netty.buffer.Unpooled;
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

/**
 * The admin listener's own routes: {@code GET /metrics} (Prometheus text), {@code /readyz} and {@code /healthz}.
 * {@code /api/} goes on to the {@link io.chatd.core.AdminApiHandler} when there is one; anything else gets 404.
 */
@ChannelHandler.Sharable
final class AdminHttpHandler extends ChannelInboundHandlerAdapter {

    /** The content type of Prometheus's text exposition format 0.0.4. */
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Chat chat;
    private final ChatMetrics metrics;
    private final boolean api;

    AdminHttpHandler(Chat chat, ChatMetrics metrics, boolean api) {
        this.chat = chat;
        this.metrics = metrics;
        this.api = api;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (api && AdminApiHandler.serves(path)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            boolean get = HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
            if (!request.decoderResult().isSuccess()) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request\n", "text/plain");
            } else if (get && path.equals("/metrics")) {
                respond(ctx, request, HttpResponseStatus.OK, metrics.scrape(), PROMETHEUS_TEXT);
            } else if (get && path.equals("/readyz")) {
                boolean ready = chat.isReady();
                respond(ctx, request, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                        ready ? "{\"status\":\"ready\"}\n" : "{\"status\":\"not ready\"}\n", "application/json");
            } else if (get && path.equals("/healthz")) {
                respond(ctx, request, HttpResponseStatus.OK,
                        "{\"status\":\"ok\",\"connections\":" + chat.connectionCount() + "}\n", "application/json");
            } else if (path.equals("/api") || path.startsWith("/api/")) {
                respond(ctx, request, HttpResponseStatus.NOT_FOUND, "{\"code\":\"forbidden\",\"message\":"
                        + "\"the admin API is off: start with --admin-key-file\"}\n", "application/json");
            } else {
                respond(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n", "text/plain; charset=UTF-8");
            }
        } finally {
            request.release();
        }
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                String body, String contentType) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, CharsetUtil.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (HttpMethod.HEAD.equals(request.method())) {
            response.content().clear();
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
