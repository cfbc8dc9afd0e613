package io.chatd.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One bench WebSocket, as the only handler of its channel: it writes the HTTP upgrade itself, reads the 101,
 * then parses frames straight from the socket's bytes with {@link FrameParser} and {@link MessageScanner}, so a
 * delivery costs no frame, string or JSON object. It joins its room, answers pings, sends the bench messages the
 * {@link Generator} asks for (written, not flushed: the generator flushes once per tick) and checks every
 * message it receives for latency, loss, duplicates and order.
 */
final class LoadConnection extends ChannelInboundHandlerAdapter implements FrameParser.Sink {

    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
    private static final int MAX_RESPONSE_HEADER = 16 * 1024;
    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final byte[] ROOM_FIELD = MessageScanner.ascii("\"room\":\"");
    private static final byte[] USER_FIELD = MessageScanner.ascii("\"user\":\"");
    private static final byte[] MESSAGE_TAIL = MessageScanner.ascii("\"}");
    private static final int NORMAL_CLOSURE = 1000;
    private static final int NO_STATUS = 1005;

    private enum State { CONNECTING, HANDSHAKING, WELCOMING, JOINING, READY, CLOSED }

    final int index;
    final String user;
    /** The server this connection talks to, on every attempt. */
    final Target target;
    private final LoadContext shared;
    private final byte[] userBytes;
    /** The room this connection joins, or null. */
    private final String room;
    private final byte[] roomBytes;
    /** Receiver side: the highest {@code n} seen from each sender it can hear, -1 before the first. */
    private final int senderBase;
    private final int[] lastN;
    /** Sender side: the JSON of a bench message up to its {@code n}, and where its content starts. */
    private final byte[] messageHead;
    private final int contentStart;
    private final int mask;
    private final String key;

    private State state = State.CONNECTING;
    private Channel channel;
    private long connectStartNanos;
    private boolean handshaken;
    /** Ready or failed has been reported; later closes are reported as closes. */
    private boolean outcomeReported;
    private ByteBuf cumulation;
    /** When the bytes being parsed were read; one clock read per socket read, not per frame. */
    private long readNanos;
    private boolean needsFlush;
    private int closeCode = -1;
    /** The reconnect window the server advised before closing, in milliseconds; -1 without a {@code reconnect}. */
    private long advisedMillis = -1;
    private String failure;
    private long nextN;

    LoadConnection(LoadContext shared, int index) {
        Topology topology = shared.topology;
        this.shared = shared;
        this.index = index;
        this.user = topology.user(index);
        this.target = shared.targets.of(index);
        this.userBytes = MessageScanner.ascii(user);
        this.room = topology.room(index);
        this.roomBytes = room == null ? null : MessageScanner.ascii(room);
        this.senderBase = topology.senderBase(index);
        this.lastN = new int[topology.senderSlots(index)];
        Arrays.fill(lastN, -1);
        String head = topology.scenario == Scenario.PRIVATE
                ? "{\"type\":\"private\",\"to\":\"" + topology.user(topology.partner(index)) + "\",\"content\":\""
                : "{\"type\":\"msg\",\"room\":\"" + room + "\",\"content\":\"";
        this.contentStart = head.length();
        this.messageHead = MessageScanner.ascii(head + "s=" + index + " n=");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        this.mask = random.nextInt();
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        this.key = Base64.getEncoder().encodeToString(nonce);
    }

    /** Called by the connector just before it connects. */
    void connecting(Channel channel, long startNanos) {
        this.channel = channel;
        this.connectStartNanos = startNanos;
    }

    boolean isReady() {
        return state == State.READY;
    }

    boolean isOpen() {
        return channel != null && channel.isOpen();
    }

    /** The window the server's {@code reconnect} frame advised for the reconnect after its close, or -1. */
    long advisedMillis() {
        return advisedMillis;
    }

    /** Whether the upgrade completed: the connector's in-flight slot is free again from then on. */
    boolean handshaken() {
        return handshaken;
    }

    /**
     * Writes the next bench message with send time {@code t}, without flushing.
     *
     * @return false when the connection is no longer usable
     */
    boolean sendBenchMessage(long t) {
        if (state != State.READY || !channel.isActive()) {
            return false;
        }
        channel.write(shared.writer.benchMessage(channel.alloc(), messageHead, contentStart, nextN++, t,
                MESSAGE_TAIL, mask), channel.voidPromise());
        return true;
    }

    void flush() {
        channel.flush();
    }

    /** Says goodbye with a 1000 close frame and closes without waiting for the server's reply. */
    void close() {
        if (channel != null && channel.isActive()) {
            channel.writeAndFlush(shared.writer.close(channel.alloc(), NORMAL_CLOSURE, mask))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Fails the set-up once (the TCP connect, the upgrade, the join or a timeout) and closes. */
    void fail(String reason) {
        if (!outcomeReported) {
            outcomeReported = true;
            shared.listener.failed(this, reason);
        }
        if (channel != null) {
            channel.close();
        }
    }

    /** Fails the connection if it has not upgraded by now; scheduled by the connector. */
    void handshakeDeadline() {
        if (!handshaken && !outcomeReported) {
            fail("handshake timed out");
        }
    }

    // ---- channel events, all on the one event loop ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        state = State.HANDSHAKING;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(target.upgradeRequest(user, key)), ctx.voidPromise());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (state == State.CLOSED) {
            in.release();
            return;
        }
        ByteBuf buf = in;
        if (cumulation != null) {
            cumulation.writeBytes(in); // grows the buffer as needed
            in.release();
            buf = cumulation;
        }
        try {
            if (state == State.HANDSHAKING && !readHandshake(buf)) {
                return;
            }
            readNanos = System.nanoTime();
            if (FrameParser.parse(buf, this) == FrameParser.PROTOCOL_ERROR) {
                shared.current.protocolErrors++;
                fail("protocol error from the server");
                buf.skipBytes(buf.readableBytes());
            }
        } finally {
            keepRemainder(ctx, buf, in);
        }
    }

    /** Keeps a trailing partial frame (or response header) for the next read, in as small a buffer as it needs. */
    private void keepRemainder(ChannelHandlerContext ctx, ByteBuf buf, ByteBuf in) {
        if (buf == in) {
            if (in.isReadable() && state != State.CLOSED) {
                cumulation = ctx.alloc().buffer(Math.max(256, in.readableBytes() * 2));
                cumulation.writeBytes(in);
            }
            in.release();
        } else if (!cumulation.isReadable()) {
            cumulation.release();
            cumulation = null;
        } else {
            cumulation.discardReadBytes();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        State was = state;
        state = State.CLOSED;
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        if (!outcomeReported) {
            fail(failure != null ? failure
                    : closeCode >= 0 ? "closed by the server with " + closeCode
                    : "connection closed during " + was.name().toLowerCase(Locale.ROOT));
        } else if (was == State.READY && !shared.closing) {
            shared.listener.closed(this, closeCode);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failure == null) {
            failure = cause.toString();
        }
        ctx.close();
    }

    // ---- the upgrade ----

    /** Consumes the 101 response once complete; false while incomplete or refused. */
    private boolean readHandshake(ByteBuf buf) {
        int end = MessageScanner.indexAfter(buf, buf.readerIndex(), buf.writerIndex(), HEADER_END);
        if (end < 0) {
            if (buf.readableBytes() > MAX_RESPONSE_HEADER) {
                fail("upgrade response header too large");
                buf.skipBytes(buf.readableBytes());
            }
            return false;
        }
        String head = buf.toString(buf.readerIndex(), end - buf.readerIndex(), StandardCharsets.ISO_8859_1);
        buf.readerIndex(end);
        String statusLine = head.substring(0, Math.max(0, head.indexOf('\r')));
        if (!statusLine.startsWith("HTTP/1.1 101")) {
            fail("upgrade refused: " + statusLine);
            buf.skipBytes(buf.readableBytes());
            return false;
        }
        if (!acceptMatches(head)) {
            fail("upgrade response has a wrong Sec-WebSocket-Accept");
            buf.skipBytes(buf.readableBytes());
            return false;
        }
        handshaken = true;
        state = State.WELCOMING;
        shared.listener.handshakeDone(this, System.nanoTime() - connectStartNanos);
        return true;
    }

    private boolean acceptMatches(String head) {
        String expected;
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            expected = Base64.getEncoder().encodeToString(
                    sha1.digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Sec-WebSocket-Accept")) {
                return line.substring(colon + 1).trim().equals(expected);
            }
        }
        return false;
    }

    // ---- frames ----

    @Override
    public void onFrame(int opcode, boolean fin, ByteBuf buf, int from, int to) {
        if (state == State.CLOSED) {
            return;
        }
        switch (opcode) {
            case FrameParser.OP_TEXT -> {
                if (fin) {
                    onText(buf, from, to);
                } else {
                    shared.current.protocolErrors++; // the server never fragments
                }
            }
            case FrameParser.OP_PING -> {
                channel.write(shared.writer.pong(channel.alloc(), buf, from, to, mask), channel.voidPromise());
                needsFlush = true;
            }
            case FrameParser.OP_PONG -> {
                // unsolicited or late: nothing to do
            }
            case FrameParser.OP_CLOSE -> {
                closeCode = to - from >= 2 ? buf.getUnsignedShort(from) : NO_STATUS;
                channel.close(); // the server closes its side anyway; no need to echo
            }
            default -> shared.current.protocolErrors++; // binary or continuation: not part of the protocol
        }
    }

    private void onText(ByteBuf buf, int from, int to) {
        switch (MessageScanner.type(buf, from, to)) {
            case MessageScanner.MSG, MessageScanner.PRIVATE -> onBenchMessage(buf, from, to);
            case MessageScanner.WELCOME -> {
                if (state == State.WELCOMING) {
                    onWelcome(buf.toString(from, to - from, StandardCharsets.UTF_8));
                }
            }
            case MessageScanner.JOIN -> {
                // The notice of our own join: the server sends it once the room has us, on the room's loop.
                if (state == State.JOINING && MessageScanner.fieldEquals(buf, from, to, USER_FIELD, userBytes)
                        && MessageScanner.fieldEquals(buf, from, to, ROOM_FIELD, roomBytes)) {
                    becomeReady();
                }
            }
            case MessageScanner.ERROR -> {
                String text = buf.toString(from, to - from, StandardCharsets.UTF_8);
                shared.current.onServerError(text);
                if (state != State.READY) {
                    fail("server error during set-up: " + text);
                }
            }
            // Sent once, just before the server closes: rare, so parsing its one number costs nothing.
            case MessageScanner.RECONNECT -> advisedMillis = MessageScanner.within(buf, from, to, shared.fields);
            default -> {
                // join and leave notices of others, pongs, acks: not measured
            }
        }
    }

    private void onBenchMessage(ByteBuf buf, int from, int to) {
        MessageScanner.Fields f = shared.fields;
        Measurement m = shared.current;
        if (!MessageScanner.content(buf, from, to, f)) {
            m.foreign++;
            return;
        }
        long slot = f.s - senderBase;
        if (slot < 0 || slot >= lastN.length) {
            m.foreign++;
            return;
        }
        int last = lastN[(int) slot];
        boolean duplicate = f.n <= last;
        boolean gap = f.n > last + 1L;
        if (!duplicate) {
            lastN[(int) slot] = (int) f.n;
        }
        m.onDelivery(f.t, readNanos, duplicate, gap);
    }

    /**
     * Leaves any default room the server put us in (its traffic would blur the figures; better run the server
     * with {@code --default-room ''}), unless the scenario is about that room, then joins our room, or is ready
     * at once without one.
     */
    private void onWelcome(String welcome) {
        int open = welcome.indexOf("\"rooms\":[");
        int close = open < 0 ? -1 : welcome.indexOf(']', open);
        if (open >= 0 && close > open && !shared.topology.scenario.keepsDefaultRooms()) {
            for (String quoted : welcome.substring(open + 9, close).split(",")) {
                String defaultRoom = quoted.replace("\"", "").trim();
                if (!defaultRoom.isEmpty() && !defaultRoom.equals(room)) {
                    shared.defaultRoomLeaves++;
                    channel.writeAndFlush(shared.writer.text(channel.alloc(), MessageScanner.ascii(
                            "{\"type\":\"leave\",\"room\":\"" + defaultRoom + "\"}"), mask), channel.voidPromise());
                }
            }
        }
        if (room == null) {
            becomeReady();
            return;
        }
        state = State.JOINING;
        channel.writeAndFlush(shared.writer.text(channel.alloc(),
                MessageScanner.ascii("{\"type\":\"join\",\"room\":\"" + room + "\"}"), mask), channel.voidPromise());
    }

    private void becomeReady() {
        state = State.READY;
        if (!outcomeReported) {
            outcomeReported = true;
            shared.listener.ready(this);
        }
    }
}
