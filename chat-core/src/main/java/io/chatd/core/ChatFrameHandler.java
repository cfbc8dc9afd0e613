package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat protocol of one connection: turns JSON text frames into room and private messages, and owns the
 * connection's state from the handshake to the close. One instance per channel; every method runs on the
 * channel's event loop.
 */
final class ChatFrameHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ChatFrameHandler.class);

    /** Tokens are a few hundred bytes; this only stops a client from handing the verifier megabytes. */
    private static final int MAX_TOKEN_CHARS = 8192;
    /** Fields each request type may carry besides {@code type} and {@code id}. */
    private static final Set<String> MSG_FIELDS = Set.of("room", "content");
    private static final Set<String> PRIVATE_FIELDS = Set.of("to", "content");
    private static final Set<String> JOIN_FIELDS = Set.of("room", "since", "epoch");
    private static final Set<String> ROOM_FIELDS = Set.of("room");
    private static final Set<String> HISTORY_FIELDS = Set.of("room", "before", "limit");
    private static final Set<String> WHO_FIELDS = Set.of("room", "after", "limit");
    /** Most users in one {@code who} answer: a room of any size answers in pages of at most this many. */
    static final int MAX_WHO_LIMIT = 1000;
    private static final Set<String> READ_FIELDS = Set.of("with", "seq");
    /** Most messages in a history page; RoomRegistry.history also bounds the page's bytes. */
    static final int MAX_HISTORY_LIMIT = 100;
    static final int DEFAULT_HISTORY_LIMIT = 50;
    private static final Set<String> AUTH_FIELDS = Set.of("token");

    private final Chat chat;
    private final ChatConfig config;
    /** Null until the WebSocket handshake completes. */
    private Connection connection;
    /**
     * Who the connection is, as of its last credential; set by {@link ChatHttpHandler} when it lets the handshake
     * through, null before.
     */
    private Identity identity;
    /** The client address whose {@link ConnectionLimiter} slot this channel holds; null before the gate gives one. */
    private String slotAddress;
    /**
     * Null until a credential with an expiry arrives. This and {@link #historyLimiter} are made when first needed:
     * most connections never need them, and an idle connection's memory is what a big server is made of.
     */
    private SessionExpiry expiry;
    /** Null when there is no rate limit. */
    private final RateLimiter rateLimiter;
    /** Null until the first history request, or when history is not rate limited ({@link ChatConfig#historyRate()}). */
    private RateLimiter historyLimiter;
    /** Set once the connection is being closed (flooding, an oversized message): later frames are dropped unread. */
    private boolean closing;

    ChatFrameHandler(Chat chat) {
        this.chat = chat;
        this.config = chat.config();
        this.rateLimiter = config.rateLimit() > 0 ? new RateLimiter(config.rateLimit(), config.rateBurst()) : null;
    }

    /** Schedules the close at the credential's expiry, replacing an earlier one; null: it never expires. */
    private void expireAt(Channel channel, Instant expiresAt) {
        if (expiry == null && expiresAt != null) {
            expiry = new SessionExpiry(channel);
        }
        if (expiry != null) {
            expiry.schedule(expiresAt);
        }
    }

    /** The handshake gate took a connection slot for this channel; it is given back when the channel closes. */
    void slotTaken(String address) {
        slotAddress = address;
    }

    boolean holdsSlot() {
        return slotAddress != null;
    }

    /** The handshake gate resolved who is connecting; the connection opens once the upgrade completes. */
    void identified(Identity identity) {
        this.identity = identity;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HandshakeComplete) {
            open(ctx);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void open(ChannelHandlerContext ctx) {
        if (identity == null) { // only ChatHttpHandler lets a handshake through, and it always sets the identity
            Disconnect.close(ctx.channel(), CloseCodes.INTERNAL_ERROR, "no identity");
            return;
        }
        String user = identity.user();
        EventLoop loop = ctx.channel().eventLoop();
        connection = new Connection(ctx.channel(), user, chat.flusherFor(loop),
                chat.heartbeatsFor(loop));
        connection.heartbeats.watch(connection);
        expireAt(ctx.channel(), identity.expiresAt());
        chat.opened(connection);
        // A default room the token does not allow is simply not joined: the welcome's rooms say so.
        String defaultRoom = config.defaultRoom();
        boolean joinDefault = !defaultRoom.isEmpty() && identity.mayJoin(defaultRoom)
                && chat.roomOccupancy().enter(defaultRoom);
        if (joinDefault) {
            connection.joined(defaultRoom);
        }
        // Welcome first: the join notice of the default room must not arrive before it.
        String session = connection.id();
        connection.send(ServerMessages.welcome(alloc(), user, session, List.copyOf(connection.rooms()),
                chat.epoch()));
        if (joinDefault) {
            chat.rooms().join(connection, defaultRoom);
        }
        // Private messages stored while the user was offline follow the welcome.
        chat.privates().connected(connection);
        log.debug("open {} user={}", session, user);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (slotAddress != null) {
            chat.connectionLimiter().release(slotAddress);
            slotAddress = null;
        }
        if (connection != null) {
            connection.heartbeats.forget(connection);
            if (expiry != null) {
                expiry.cancel();
            }
            for (String room : connection.rooms()) {
                chat.roomOccupancy().exit(room);
            }
            chat.closed(connection);
            if (log.isDebugEnabled()) { // the id's text is made for the log alone here
                log.debug("close {} user={}", connection.id(), connection.user);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (connection != null && !closing && SlowConsumers.evictIfStillUnwritable(ctx.channel(), chat.stats())) {
            closing = true;
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (connection != null) {
            connection.heard(); // every frame that reaches us proves the client alive, pongs included
        }
        try {
            if (msg instanceof TextWebSocketFrame && connection != null && !closing) {
                ByteBuf utf8 = ((TextWebSocketFrame) msg).content();
                if (!ByteBufUtil.isText(utf8, StandardCharsets.UTF_8)) {
                    // RFC 6455 8.1: text that is not UTF-8 fails the connection. Checked here, on the whole
                    // message, rather than by a validator of its own in every pipeline (see Chat.protocolConfig).
                    log.debug("closing {}: a text message that is not UTF-8", ctx.channel().id());
                    closing = true;
                    Disconnect.closeLingering(ctx.channel(), CloseCodes.INVALID_PAYLOAD, "invalid UTF-8");
                    return;
                }
                chat.stats().messagesReceived.increment();
                if (admit(ctx)) {
                    onText(utf8.toString(StandardCharsets.UTF_8));
                }
            } else if (msg instanceof BinaryWebSocketFrame) {
                Disconnect.close(ctx.channel(), CloseCodes.UNSUPPORTED_DATA, "binary frames are not supported");
            }
            // Pongs end here: they only count as the client being heard.
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Applies the rate limit before any parsing, so a flood costs as little as possible. Every text frame counts,
     * {@code ping} and malformed ones included; protocol-level pings and pongs do not.
     */
    private boolean admit(ChannelHandlerContext ctx) {
        if (rateLimiter == null) {
            return true;
        }
        switch (rateLimiter.acquire()) {
            case ALLOW:
                return true;
            case REFUSE:
                chat.stats().rateLimited.increment();
                sendError(ErrorCode.RATE_LIMITED, "slow down: at most " + config.rateLimit() + " requests per second",
                        null);
                return false;
            default:
                closing = true;
                chat.stats().rateLimited.increment();
                chat.stats().floodDisconnects.increment();
                log.info("closing {} user={}: flooding past the rate limit", connection.id(), connection.user);
                Disconnect.closeLingering(ctx.channel(), CloseCodes.FLOODING, "flooding");
                return false;
        }
    }

    private void onText(String text) {
        String requestId = null;
        try {
            ClientRequest request = ClientRequest.parse(text);
            requestId = request.id;
            dispatch(request);
        } catch (RequestException e) {
            sendError(e.code, e.getMessage(), e.requestId);
        } catch (RuntimeException e) {
            // A bug of ours must cost one request, never the connection.
            log.warn("failed to handle a request on {}", connection.id(), e);
            sendError(ErrorCode.INTERNAL, "the server failed to handle the request", requestId);
        }
    }

    private void dispatch(ClientRequest request) throws RequestException {
        switch (request.type) {
            case "msg" -> {
                request.onlyFields(MSG_FIELDS);
                String room = joinedRoom(request);
                String content = request.content(config.maxContentChars());
                RecentIds.Claim claim = claim(request, digest(request, "msg", room, content));
                if (claim != null || request.id == null) {
                    chat.rooms().publish(connection, room, connection.user, content, claim, request.id,
                            chat.recentIds(), null);
                }
            }
            case "private" -> {
                request.onlyFields(PRIVATE_FIELDS);
                String to = request.name("to");
                String content = request.content(config.maxContentChars());
                sendPrivate(request, to, content);
            }
            case "join" -> {
                request.onlyFields(JOIN_FIELDS);
                String room = request.name("room");
                long since = request.optionalLong("since", 0, Long.MAX_VALUE, -1);
                // A since from another numbering (a crash or a memory store's restart since) means nothing here;
                // a client that sends no epoch is taken at its word.
                String epoch = request.optionalString("epoch", 64);
                if (!identity.mayJoin(room)) {
                    throw new RequestException(ErrorCode.FORBIDDEN, "your token does not allow room " + room, request.id);
                }
                if (!connection.inRoom(room)) {
                    int maxRooms = config.maxRoomsPerConnection();
                    if (maxRooms > 0 && connection.roomCount() >= maxRooms) {
                        throw new RequestException(ErrorCode.TOO_MANY_ROOMS,
                                "a connection may be in at most " + maxRooms + " rooms", request.id);
                    }
                    if (!chat.roomOccupancy().enter(room)) {
                        throw new RequestException(ErrorCode.ROOM_FULL, "room " + room + " is full", request.id);
                    }
                    connection.joined(room);
                }
                if (since < 0) {
                    chat.rooms().join(connection, room); // a repeated join is answered to this connection only
                } else {
                    chat.rooms().resume(connection, room, since, epoch == null || epoch.equals(chat.epoch()));
                }
            }
            case "leave" -> {
                request.onlyFields(ROOM_FIELDS);
                String room = joinedRoom(request);
                connection.left(room);
                chat.roomOccupancy().exit(room);
                chat.rooms().leave(connection, room, true);
            }
            case "who" -> {
                String room = joinedRoom(request.onlyFields(WHO_FIELDS));
                String after = request.optionalString("after", 64);
                // A larger limit is capped, not refused, as for history: the client gets a page and "more".
                int limit = (int) Math.min(MAX_WHO_LIMIT,
                        request.optionalLong("limit", 1, Integer.MAX_VALUE, MAX_WHO_LIMIT));
                chat.rooms().who(connection, room, after, limit);
            }
            case "history" -> {
                request.onlyFields(HISTORY_FIELDS);
                String room = joinedRoom(request);
                if (historyLimiter == null && config.historyRate() > 0) {
                    historyLimiter = new RateLimiter(config.historyRate(), (int) Math.ceil(config.historyRate() * 4));
                }
                if (historyLimiter != null && historyLimiter.acquire() != RateLimiter.Verdict.ALLOW) {
                    chat.stats().rateLimited.increment();
                    throw new RequestException(ErrorCode.RATE_LIMITED, "slow down: at most " + config.historyRate()
                            + " history requests per second", request.id);
                }
                long before = request.optionalLong("before", 1, Long.MAX_VALUE, Long.MAX_VALUE);
                // A larger limit is capped, not refused: the client gets a page and "more".
                int limit = (int) Math.min(MAX_HISTORY_LIMIT,
                        request.optionalLong("limit", 1, Integer.MAX_VALUE, DEFAULT_HISTORY_LIMIT));
                chat.rooms().history(connection, room, before, limit, request.id);
            }
            case "read" -> {
                request.onlyFields(READ_FIELDS);
                String with = request.name("with");
                long seq = request.requiredLong("seq", 1, Long.MAX_VALUE);
                chat.privates().read(connection, with, seq, request.id);
            }
            case "ping" -> {
                request.onlyFields(Set.of());
                connection.send(ServerMessages.pong(alloc(), request.id));
            }
            case "auth" -> refresh(request.onlyFields(AUTH_FIELDS));
            default -> throw new RequestException(ErrorCode.UNKNOWN_TYPE, "unknown type", request.id);
        }
    }

    /**
     * Takes a fresh token for the same user: its expiry replaces the old one, its rooms claim governs later joins
     * (rooms already joined stay joined). A refused token changes nothing, so the old deadline still stands.
     */
    private void refresh(ClientRequest request) throws RequestException {
        Identity fresh;
        try {
            fresh = config.identityResolver().refresh(request.token(MAX_TOKEN_CHARS));
        } catch (IdentityException e) {
            throw new RequestException(ErrorCode.UNAUTHORIZED, e.getMessage(), request.id);
        }
        if (!fresh.user().equals(identity.user())) {
            throw new RequestException(ErrorCode.FORBIDDEN, "the token is for another user", request.id);
        }
        identity = fresh;
        expireAt(connection.channel, fresh.expiresAt());
        if (request.id != null) {
            connection.send(ServerMessages.ack(alloc(), request.id, System.currentTimeMillis()));
        }
    }

    private void sendPrivate(ClientRequest request, String to, String content) throws RequestException {
        long digest = digest(request, "private", to, content);
        RecentIds.Claim claim = claim(request, digest);
        if (claim == null && request.id != null) {
            return; // a resend: the original's ack is on its way
        }
        String id = request.id;
        Connection sender = connection;
        Privates.Outcome outcome = chat.privates().send(connection.user, to, content, id, digest, sent -> {
            if (claim != null) {
                chat.recentIds().complete(claim, sent);
                sender.send(ServerMessages.ack(sender.channel.alloc(), id, sent.ts(), sent.seq(), sent.stored()));
            }
        }, error -> {
            if (claim != null) {
                chat.recentIds().abandon(claim, error);
            }
            // A cluster's refusals (offline, id conflict) arrive here too.
            RequestException refused = error instanceof RequestException r ? r
                    : new RequestException(ErrorCode.STORE_FAILED, "the message could not be stored", id);
            chat.stats().errorSent(refused.code);
            sender.send(ServerMessages.error(sender.channel.alloc(), refused.code, refused.getMessage(), id));
        });
        if (outcome != Privates.Outcome.DELIVERED && outcome != Privates.Outcome.STORING
                && outcome != Privates.Outcome.HANDED_OVER) {
            if (claim != null) {
                chat.recentIds().abandon(claim, new IllegalStateException(outcome.name()));
            }
            switch (outcome) {
                case OFFLINE -> throw new RequestException(ErrorCode.USER_OFFLINE, to + " is not connected", id);
                case OFFLINE_FULL -> throw new RequestException(ErrorCode.OFFLINE_FULL, to + " is not connected, and too"
                        + " many messages already wait for offline users (yours, or the server's); not sent", id);
                default -> throw new RequestException(ErrorCode.STORE_FAILED,
                        "the store is overloaded; the message was not sent", id);
            }
        }
    }

    /**
     * Claims the request's id for idempotency. Returns the claim when the id is new; null when there is no id,
     * or when it is a resend of the same message ({@code digest}), in which case the original's ack is sent (now
     * or once the original is stored). The same id with another message is refused with {@code id_conflict}.
     */
    private RecentIds.Claim claim(ClientRequest request, long digest) throws RequestException {
        if (request.id == null) {
            return null;
        }
        RecentIds.Attempt attempt = chat.recentIds().claim(connection.user, request.id, digest);
        switch (attempt.outcome()) {
            case NEW:
                return attempt.claim();
            case CONFLICT:
                throw new RequestException(ErrorCode.ID_CONFLICT, "id " + request.id
                        + " was already used for a different message; use a new id for each message", request.id);
            default:
                break;
        }
        RecentIds.Claim earlier = attempt.claim();
        Connection requester = connection;
        String id = request.id;
        earlier.ack.whenComplete((sent, error) -> {
            if (error == null) {
                requester.send(ServerMessages.ack(requester.channel.alloc(), id, sent.ts(), sent.seq(), sent.stored()));
            } else {
                chat.stats().errorSent(ErrorCode.STORE_FAILED);
                requester.send(ServerMessages.error(requester.channel.alloc(), ErrorCode.STORE_FAILED,
                        "the original send with this id failed; send again", id));
            }
        });
        return null;
    }

    /** What a send is, for idempotency (see {@link RecentIds#digest}); 0, and not computed, without an id. */
    private static long digest(ClientRequest request, String type, String target, String content) {
        return request.id == null ? 0 : RecentIds.digest(type, target, content);
    }

    /** The request's {@code room}, which this connection must have joined. */
    private String joinedRoom(ClientRequest request) throws RequestException {
        String room = request.name("room");
        if (!connection.inRoom(room)) {
            throw new RequestException(ErrorCode.NOT_IN_ROOM, "not in room " + room, request.id);
        }
        return room;
    }

    private void sendError(ErrorCode code, String message, String requestId) {
        chat.stats().errorSent(code);
        connection.send(ServerMessages.error(alloc(), code, message, requestId));
    }

    private ByteBufAllocator alloc() {
        return connection.channel.alloc();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            // A fragmented message outgrew maxFrameBytes (single frames are caught by the decoder). The client
            // may still be sending the rest: linger, so that our close frame is not lost to a reset.
            log.debug("closing {}: {}", ctx.channel().id(), cause.getMessage());
            closing = true;
            Disconnect.closeLingering(ctx.channel(), CloseCodes.MESSAGE_TOO_BIG, "message too big");
        } else if (cause instanceof CorruptedFrameException) {
            // ProtocolErrorHandler answers the decoder's violations; one from elsewhere ends the connection alike.
            log.debug("protocol violation on {}: {}", ctx.channel().id(), cause.getMessage());
            closing = true;
            Disconnect.closeLingering(ctx.channel(), CloseCodes.PROTOCOL_ERROR, "protocol error");
        } else if (cause instanceof PrematureChannelClosureException || !ctx.channel().isActive()) {
            // The client went away in the middle of a fragmented message, or anything failed on a closed
            // channel: normal client behaviour that any client can repeat, so no warning and no close frame.
            log.debug("{} on closed {}: {}", cause.getClass().getSimpleName(), ctx.channel().id(), cause.getMessage());
        } else if (cause instanceof ClosedChannelException) {
            // A write raced with the close; nothing left to do.
            log.trace("write after close on {}", ctx.channel().id());
        } else if (cause instanceof IOException) {
            log.debug("I/O error on {}: {}", ctx.channel().id(), cause.toString());
            ctx.close();
        } else {
            log.warn("unexpected error on {}", ctx.channel().id(), cause);
            Disconnect.close(ctx.channel(), CloseCodes.INTERNAL_ERROR, "internal error");
        }
    }
}
