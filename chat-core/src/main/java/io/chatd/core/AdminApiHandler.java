package io.chatd.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.CharsetUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP API of one {@link Chat}: publish to a room, send a private message, list rooms, show a room,
 * disconnect a user. Every call needs {@code Authorization: Bearer KEY}; errors are JSON objects
 * {@code {"code","message"}} in the vocabulary of the WebSocket {@code error} frames ({@link ErrorCode}).
 *
 * <p>It serves the paths under {@code /api/} and passes every other request on, so it goes in a pipeline that
 * decodes and aggregates HTTP, after the embedder's own routes. Give it a listener of its own (the daemon's
 * {@code --admin-port}): nothing administrative belongs on the public port. Stateless, so one instance serves
 * every channel. See docs/operations.md for the calls.
 */
@ChannelHandler.Sharable
public final class AdminApiHandler extends ChannelInboundHandlerAdapter {

    /** Shortest API key accepted: 32 bytes, 256 bits when random. */
    public static final int MIN_KEY_BYTES = 32;
    /** Most users one {@code GET /api/rooms/{room}} answers; page on with {@code after}. */
    static final int MAX_PAGE = 1000;
    private static final int DEFAULT_PAGE = 100;
    /** A close reason must fit a control frame with its code: 123 bytes of UTF-8. */
    private static final int MAX_REASON_BYTES = 123;

    private static final Logger log = LoggerFactory.getLogger(AdminApiHandler.class);

    private final Chat chat;
    private final byte[] key;

    /**
     * Serves the API of {@code chat} to callers presenting {@code key} (at least {@link #MIN_KEY_BYTES} bytes;
     * copied).
     */
    public AdminApiHandler(Chat chat, byte[] key) {
        this.chat = Objects.requireNonNull(chat, "chat");
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the admin API key must be at least " + MIN_KEY_BYTES + " bytes, not "
                    + key.length);
        }
        this.key = key.clone();
    }

    /** Whether {@code path} is the API's ({@code /api} and below); other requests are passed on. */
    public static boolean serves(String path) {
        return path.equals("/api") || path.startsWith("/api/");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (!serves(path)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!authorized(request)) {
                FullHttpResponse response = response(HttpResponseStatus.UNAUTHORIZED,
                        error(ErrorCode.UNAUTHORIZED, "missing or wrong Authorization: Bearer key"));
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
                send(ctx, request, response);
                return;
            }
            route(ctx, request, path);
        } catch (RequestException e) {
            send(ctx, request, response(HttpResponseStatus.BAD_REQUEST, error(e.code, e.getMessage())));
        } catch (RuntimeException e) {
            log.warn("admin API call {} {} failed", request.method(), LogSafe.escape(path), e);
            send(ctx, request, response(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    error(ErrorCode.INTERNAL, "the server failed to handle the request")));
        } finally {
            request.release();
        }
    }

    /** Constant time in the key's content: a mismatch at the first byte takes as long as one at the last. */
    private boolean authorized(FullHttpRequest request) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8), key);
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest request, String path) throws RequestException {
        HttpMethod method = request.method();
        List<String> parts = List.of(path.substring(1).split("/", -1)); // "api", ...
        if (parts.size() == 2 && parts.get(1).equals("publish") && method.equals(HttpMethod.POST)) {
            publish(ctx, request, ClientRequest.parseBody(body(request)));
        } else if (parts.size() == 2 && parts.get(1).equals("private") && method.equals(HttpMethod.POST)) {
            sendPrivate(ctx, request, ClientRequest.parseBody(body(request)));
        } else if (parts.size() == 2 && parts.get(1).equals("rooms") && method.equals(HttpMethod.GET)) {
            rooms(ctx, request);
        } else if (parts.size() == 3 && parts.get(1).equals("rooms") && method.equals(HttpMethod.GET)) {
            room(ctx, request, name(parts.get(2), "room"));
        } else if (parts.size() == 4 && parts.get(1).equals("users") && parts.get(3).equals("disconnect")
                && method.equals(HttpMethod.POST)) {
            disconnect(ctx, request, name(parts.get(2), "user"));
        } else {
            send(ctx, request, response(HttpResponseStatus.NOT_FOUND,
                    error(ErrorCode.UNKNOWN_TYPE, "no such call: " + method + " " + path)));
        }
    }

    private void publish(ChannelHandlerContext ctx, FullHttpRequest request, ClientRequest body)
            throws RequestException {
        String room = body.name("room");
        String from = body.text("from", 64);
        String content = body.content(chat.config().maxContentChars());
        answer(ctx, request, chat.broadcast(room, from, content), seq -> {
            JsonObject json = new JsonObject();
            json.addProperty("seq", seq);
            return json;
        });
    }

    private void sendPrivate(ChannelHandlerContext ctx, FullHttpRequest request, ClientRequest body)
            throws RequestException {
        String from = body.text("from", 64);
        String to = body.name("to");
        String content = body.content(chat.config().maxContentChars());
        CompletableFuture<PrivateReceipt> receipt = new CompletableFuture<>();
        Privates.Outcome outcome = chat.privates().send(from, to, content, null, 0,
                sent -> receipt.complete(new PrivateReceipt(sent.seq(), sent.ts(), sent.stored())),
                receipt::completeExceptionally);
        if (outcome == Privates.Outcome.OFFLINE) {
            throw new RequestException(ErrorCode.USER_OFFLINE, to + " is not connected", null);
        }
        if (outcome == Privates.Outcome.OFFLINE_FULL) {
            throw new RequestException(ErrorCode.OFFLINE_FULL, to + " is not connected, and too many messages "
                    + "already wait for offline users; not sent", null);
        }
        if (outcome == Privates.Outcome.OVERLOADED) {
            send(ctx, request, response(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    error(ErrorCode.STORE_FAILED, "the store is overloaded; the message was not sent")));
            return;
        }
        answer(ctx, request, receipt, sent -> {
            JsonObject json = new JsonObject();
            json.addProperty("seq", sent.seq());
            json.addProperty("stored", sent.stored());
            return json;
        });
    }

    /** Every room with members, by name, with its users and connections; counted on each room's own loop. */
    private void rooms(ChannelHandlerContext ctx, FullHttpRequest request) {
        List<String> names = chat.rooms().roomNames();
        Collections.sort(names);
        List<CompletableFuture<JsonObject>> counts = new ArrayList<>(names.size());
        for (String name : names) {
            CompletableFuture<JsonObject> count = new CompletableFuture<>();
            chat.rooms().inspect(name, null, 0, snapshot -> {
                JsonObject room = new JsonObject();
                room.addProperty("room", name);
                room.addProperty("users", snapshot.userCount());
                room.addProperty("lastSeq", snapshot.lastSeq());
                count.complete(room);
            });
            counts.add(count);
        }
        request.retain(); // the answer is written after channelRead released it
        CompletableFuture.allOf(counts.toArray(new CompletableFuture<?>[0])).whenComplete((done, error) -> {
            try {
                JsonArray rooms = new JsonArray();
                for (CompletableFuture<JsonObject> count : counts) {
                    JsonObject room = count.join();
                    if (room.get("users").getAsInt() > 0) { // emptied since it was listed
                        rooms.add(room);
                    }
                }
                JsonObject json = new JsonObject();
                json.add("rooms", rooms);
                send(ctx, request, response(HttpResponseStatus.OK, json));
            } finally {
                request.release();
            }
        });
    }

    /** The room's users, sorted and paged ({@code ?limit=&after=}), and its last seq. */
    private void room(ChannelHandlerContext ctx, FullHttpRequest request, String name) throws RequestException {
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        int limit = DEFAULT_PAGE;
        List<String> limits = query.parameters().get("limit");
        if (limits != null) {
            try {
                limit = Integer.parseInt(limits.get(0));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_PAGE) {
                throw new RequestException(ErrorCode.INVALID, "limit must be 1 to " + MAX_PAGE, null);
            }
        }
        List<String> afters = query.parameters().get("after");
        String after = afters == null ? null : afters.get(0);
        int pageSize = limit;
        request.retain();
        chat.rooms().inspect(name, after, pageSize + 1, snapshot -> {
            try {
                boolean more = snapshot.users().size() > pageSize;
                JsonArray page = new JsonArray();
                snapshot.users().stream().limit(pageSize).forEach(page::add);
                JsonObject json = new JsonObject();
                json.addProperty("room", name);
                json.addProperty("lastSeq", snapshot.lastSeq());
                json.addProperty("userCount", snapshot.userCount());
                json.add("users", page);
                json.addProperty("more", more);
                send(ctx, request, response(HttpResponseStatus.OK, json));
            } finally {
                request.release();
            }
        });
    }

    private void disconnect(ChannelHandlerContext ctx, FullHttpRequest request, String user) throws RequestException {
        int code = CloseCodes.POLICY_VIOLATION;
        String reason = "disconnected by the operator";
        if (request.content().isReadable()) {
            ClientRequest body = ClientRequest.parseBody(body(request));
            if (body.has("code")) {
                code = (int) body.requiredLong("code", 4000, 4999);
            }
            if (body.has("reason")) {
                reason = body.text("reason", MAX_REASON_BYTES);
                if (reason.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
                    throw new RequestException(ErrorCode.INVALID,
                            "\"reason\" must be at most " + MAX_REASON_BYTES + " bytes of UTF-8", null);
                }
            }
        }
        int closed = chat.disconnectUser(user, code, reason);
        log.info("admin API: disconnected {} connection(s) of {} with {}", closed, user, code);
        JsonObject json = new JsonObject();
        json.addProperty("closed", closed);
        send(ctx, request, response(HttpResponseStatus.OK, json));
    }

    /** Answers once {@code result} completes: 200 with its JSON, or 503 {@code store_failed}. */
    private <T> void answer(ChannelHandlerContext ctx, FullHttpRequest request, CompletableFuture<T> result,
                            java.util.function.Function<T, JsonObject> toJson) {
        request.retain();
        result.whenComplete((value, error) -> {
            try {
                if (error == null) {
                    send(ctx, request, response(HttpResponseStatus.OK, toJson.apply(value)));
                } else {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    send(ctx, request, response(HttpResponseStatus.SERVICE_UNAVAILABLE,
                            error(ErrorCode.STORE_FAILED, "the message could not be stored: " + cause.getMessage())));
                }
            } finally {
                request.release();
            }
        });
    }

    /** A name taken from the path: the WebSocket's name rules. */
    private static String name(String value, String what) throws RequestException {
        String decoded = QueryStringDecoder.decodeComponent(value);
        if (!ChatConfig.NAME_PATTERN.matcher(decoded).matches()) {
            throw new RequestException(ErrorCode.INVALID, what + " must be 1 to 64 characters of A-Z a-z 0-9 _ . -",
                    null);
        }
        return decoded;
    }

    private static String body(FullHttpRequest request) {
        return request.content().toString(CharsetUtil.UTF_8);
    }

    private static JsonObject error(ErrorCode code, String message) {
        JsonObject json = new JsonObject();
        json.addProperty("code", code.wireName());
        json.addProperty("message", message);
        return json;
    }

    private static FullHttpResponse response(HttpResponseStatus status, JsonObject json) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(json.toString() + "\n", CharsetUtil.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return response;
    }

    /** Keeps the connection open for a keep-alive request; safe from any thread. */
    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
