package io.chatd.core;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
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

    /** Fields each request type may carry besides {@code type} and {@code id}. */
    private static final Set<String> MSG_FIELDS = Set.of("room", "content");
    private static final Set<String> PRIVATE_FIELDS = Set.of("to", "content");
    private static final Set<String> JOIN_FIELDS = Set.of("room", "since");
    private static final Set<String> ROOM_FIELDS = Set.of("room");
    private static final Set<String> HISTORY_FIELDS = Set.of("room", "before", "limit");
    private static final Set<String> READ_FIELDS = Set.of("with", "seq");
    /** A history page: 100 messages of at most 4096 characters stay well under the outbound cap. */
    static final int MAX_HISTORY_LIMIT = 100;
    static final int DEFAULT_HISTORY_LIMIT = 50;

    private final Chat chat;
    private final ChatConfig config;
    /** Null until the WebSocket handshake completes. */
    private Connection connection;

    ChatFrameHandler(Chat chat) {
        this.chat = chat;
        this.config = chat.config();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HandshakeComplete) {
            open(ctx);
        } else if (evt instanceof IdleStateEvent && ((IdleStateEvent) evt).state() == IdleState.READER_IDLE) {
            if (connection != null) {
                // Browsers answer protocol pings by themselves; the pong resets the idle timeout.
                ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void open(ChannelHandlerContext ctx) {
        String user = ctx.channel().attr(ChatHttpHandler.USER).getAndSet(null);
        if (user == null) { // only ChatHttpHandler lets a handshake through, and it always sets the user
            Disconnect.close(ctx.channel(), CloseCodes.INTERNAL_ERROR, "no identity");
            return;
        }
        // The HTTP gate has no work left on this channel; fewer handlers means a cheaper write path.
        if (ctx.pipeline().get(ChatHttpHandler.class) != null) {
            ctx.pipeline().remove(ChatHttpHandler.class);
        }
        connection = new Connection(ctx.channel(), ConnectionIds.next(), user, chat.flusherFor(ctx.channel().eventLoop()));
        chat.opened(connection);
        String defaultRoom = config.defaultRoom();
        if (!defaultRoom.isEmpty()) {
            connection.rooms.add(defaultRoom);
        }
        // Welcome first: the join notice of the default room must not arrive before it.
        connection.send(ServerMessages.welcome(alloc(), user, connection.id, List.copyOf(connection.rooms)));
        if (!defaultRoom.isEmpty()) {
            chat.rooms().join(connection, defaultRoom);
        }
        // Private messages stored while the user was offline follow the welcome.
        chat.privates().connected(connection);
        log.debug("open {} user={}", connection.id, user);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (connection != null) {
            chat.closed(connection);
            log.debug("close {} user={}", connection.id, connection.user);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame && connection != null) {
                chat.stats().messagesReceived.increment();
                onText(((TextWebSocketFrame) msg).text());
            } else if (msg instanceof BinaryWebSocketFrame) {
                Disconnect.close(ctx.channel(), CloseCodes.UNSUPPORTED_DATA, "binary frames are not supported");
            }
            // Pongs end here: the idle handlers before us already counted them as reads.
        } finally {
            ReferenceCountUtil.release(msg);
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
            log.warn("failed to handle a request on {}", connection.id, e);
            sendError(ErrorCode.INTERNAL, "the server failed to handle the request", requestId);
        }
    }

    private void dispatch(ClientRequest request) throws RequestException {
        switch (request.type) {
            case "msg" -> {
                request.onlyFields(MSG_FIELDS);
                String room = joinedRoom(request);
                String content = request.content(config.maxContentChars());
                RecentIds.Claim claim = claim(request);
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
                connection.rooms.add(room);
                if (since < 0) {
                    chat.rooms().join(connection, room); // a repeated join is answered to this connection only
                } else {
                    chat.rooms().resume(connection, room, since);
                }
            }
            case "leave" -> {
                request.onlyFields(ROOM_FIELDS);
                String room = joinedRoom(request);
                connection.rooms.remove(room);
                chat.rooms().leave(connection, room, true);
            }
            case "who" -> chat.rooms().who(connection, joinedRoom(request.onlyFields(ROOM_FIELDS)));
            case "history" -> {
                request.onlyFields(HISTORY_FIELDS);
                String room = joinedRoom(request);
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
                if (seq > chat.privates().lastSeq(connection.user, with)) {
                    throw new RequestException(ErrorCode.INVALID,
                            "\"seq\" is beyond the last message with " + with, request.id);
                }
                chat.privates().read(connection, with, seq);
            }
            case "ping" -> {
                request.onlyFields(Set.of());
                connection.send(ServerMessages.pong(alloc(), request.id));
            }
            default -> throw new RequestException(ErrorCode.UNKNOWN_TYPE, "unknown type", request.id);
        }
    }

    private void sendPrivate(ClientRequest request, String to, String content) throws RequestException {
        RecentIds.Claim claim = claim(request);
        if (claim == null && request.id != null) {
            return; // a resend: the original's ack is on its way
        }
        String id = request.id;
        Connection sender = connection;
        Privates.Outcome outcome = chat.privates().send(connection.user, to, content, id, sent -> {
            if (claim != null) {
                chat.recentIds().complete(claim, sent);
                sender.send(ServerMessages.ack(sender.channel.alloc(), id, sent.ts(), sent.seq(), sent.stored()));
            }
        }, error -> {
            if (claim != null) {
                chat.recentIds().abandon(claim, error);
            }
            sender.send(ServerMessages.error(sender.channel.alloc(), ErrorCode.STORE_FAILED,
                    "the message could not be stored", id));
        });
        if (outcome == Privates.Outcome.OFFLINE || outcome == Privates.Outcome.OVERLOADED) {
            if (claim != null) {
                chat.recentIds().abandon(claim, new IllegalStateException(outcome.name()));
            }
            if (outcome == Privates.Outcome.OFFLINE) {
                throw new RequestException(ErrorCode.USER_OFFLINE, to + " is not connected", id);
            }
            throw new RequestException(ErrorCode.STORE_FAILED, "the store is overloaded; the message was not sent", id);
        }
    }

    /**
     * Claims the request's id for idempotency. Returns the claim when the id is new; null when there is no id,
     * or when it is a resend, in which case the original's ack is sent (now or once the original is stored).
     */
    private RecentIds.Claim claim(ClientRequest request) {
        if (request.id == null) {
            return null;
        }
        RecentIds.Attempt attempt = chat.recentIds().claim(connection.user, request.id);
        if (attempt.mine()) {
            return attempt.claim();
        }
        RecentIds.Claim earlier = attempt.claim();
        Connection requester = connection;
        String id = request.id;
        earlier.ack.whenComplete((sent, error) -> {
            if (error == null) {
                requester.send(ServerMessages.ack(requester.channel.alloc(), id, sent.ts(), sent.seq(), sent.stored()));
            } else {
                requester.send(ServerMessages.error(requester.channel.alloc(), ErrorCode.STORE_FAILED,
                        "the original send with this id failed; send again", id));
            }
        });
        return null;
    }

    /** The request's {@code room}, which this connection must have joined. */
    private String joinedRoom(ClientRequest request) throws RequestException {
        String room = request.name("room");
        if (!connection.rooms.contains(room)) {
            throw new RequestException(ErrorCode.NOT_IN_ROOM, "not in room " + room, request.id);
        }
        return room;
    }

    private void sendError(ErrorCode code, String message, String requestId) {
        chat.stats().errorsSent.increment();
        connection.send(ServerMessages.error(alloc(), code, message, requestId));
    }

    private ByteBufAllocator alloc() {
        return connection.channel.alloc();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            // A fragmented message outgrew maxFrameBytes (single frames are caught by the decoder).
            Disconnect.close(ctx.channel(), CloseCodes.MESSAGE_TOO_BIG, "message too big");
        } else if (cause instanceof CorruptedFrameException) {
            // The WebSocket decoder already sent its close frame (1002, 1007, 1009) and closes the channel.
            log.debug("protocol violation on {}: {}", ctx.channel().id(), cause.getMessage());
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
