package io.chatd.bench;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads the few fields the bench needs straight from a JSON text frame's bytes, without decoding it: the
 * {@code type}, equality of a string field with known bytes, and the {@code s=}, {@code n=}, {@code t=} numbers
 * of a bench message's {@code content}. It relies on the server writing compact JSON ({@code "name":"value"},
 * no spaces), and on the bench's own content needing no JSON escapes.
 */
final class MessageScanner {

    static final int OTHER = 0;
    static final int MSG = 1;
    static final int PRIVATE = 2;
    static final int JOIN = 3;
    static final int LEAVE = 4;
    static final int WELCOME = 5;
    static final int PONG = 6;
    static final int ERROR = 7;
    static final int ACK = 8;
    static final int RECONNECT = 9;

    private static final byte[] TYPE = ascii("\"type\":\"");
    private static final byte[] CONTENT = ascii("\"content\":\"");
    private static final byte[] S_KEY = ascii("s=");
    private static final byte[] N_KEY = ascii(" n=");
    private static final byte[] T_KEY = ascii(" t=");
    private static final byte[] WITHIN = ascii("\"within\":");
    private static final byte[][] TYPE_NAMES = {
            null, ascii("msg\""), ascii("private\""), ascii("join\""), ascii("leave\""), ascii("welcome\""),
            ascii("pong\""), ascii("error\""), ascii("ack\""), ascii("reconnect\"")};

    /** The numbers of one bench content, {@code "s=3 n=1234 t=987654321012 pad=xx"}; reused, not thread-safe. */
    static final class Fields {
        long s;
        long n;
        long t;
        /** Scratch: the last number parsed. */
        long number;
    }

    private MessageScanner() {
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The message type of the frame in {@code buf[from, to)}: one of the constants above. */
    static int type(ByteBuf buf, int from, int to) {
        // The server writes "type" first, so the fast path is a match at offset 1 ("{" comes first).
        int at = startsWith(buf, from + 1, to, TYPE) ? from + 1 + TYPE.length : indexAfter(buf, from, to, TYPE);
        if (at < 0) {
            return OTHER;
        }
        switch (buf.getByte(at)) { // the first letter picks the only candidate to compare
            case 'm': return matchType(buf, at, to, MSG);
            case 'p': return at + 1 < to && buf.getByte(at + 1) == 'r' ? matchType(buf, at, to, PRIVATE)
                    : matchType(buf, at, to, PONG);
            case 'j': return matchType(buf, at, to, JOIN);
            case 'l': return matchType(buf, at, to, LEAVE);
            case 'w': return matchType(buf, at, to, WELCOME);
            case 'e': return matchType(buf, at, to, ERROR);
            case 'a': return matchType(buf, at, to, ACK);
            case 'r': return matchType(buf, at, to, RECONNECT);
            default: return OTHER;
        }
    }

    private static int matchType(ByteBuf buf, int at, int to, int type) {
        return startsWith(buf, at, to, TYPE_NAMES[type]) ? type : OTHER;
    }

    /**
     * Whether the string field whose {@code namePrefix} is e.g. {@code "user":"} holds exactly {@code value}.
     * Takes the first occurrence of the name, which is the field itself: a string value cannot contain an
     * unescaped quote.
     */
    static boolean fieldEquals(ByteBuf buf, int from, int to, byte[] namePrefix, byte[] value) {
        int at = indexAfter(buf, from, to, namePrefix);
        return at >= 0 && startsWith(buf, at, to, value) && at + value.length < to
                && buf.getByte(at + value.length) == '"';
    }

    /**
     * Parses the bench numbers of the frame's {@code content} into {@code out}.
     *
     * @return false when the frame has no content in the bench's format
     */
    static boolean content(ByteBuf buf, int from, int to, Fields out) {
        int at = indexAfter(buf, from, to, CONTENT);
        at = startsWith(buf, at, to, S_KEY) ? number(buf, at + S_KEY.length, to, out) : -1;
        if (at < 0) {
            return false;
        }
        out.s = out.number;
        at = startsWith(buf, at, to, N_KEY) ? number(buf, at + N_KEY.length, to, out) : -1;
        if (at < 0) {
            return false;
        }
        out.n = out.number;
        at = startsWith(buf, at, to, T_KEY) ? number(buf, at + T_KEY.length, to, out) : -1;
        if (at < 0) {
            return false;
        }
        out.t = out.number;
        return true;
    }

    /** The {@code within} of a {@code reconnect} frame, in milliseconds, or -1 when it has none that parses. */
    static long within(ByteBuf buf, int from, int to, Fields scratch) {
        int at = indexAfter(buf, from, to, WITHIN);
        return at >= 0 && number(buf, at, to, scratch) >= 0 ? scratch.number : -1;
    }

    /** Parses an optionally negative decimal at {@code at} into {@code out.number}; returns the index after it. */
    private static int number(ByteBuf buf, int at, int to, Fields out) {
        int i = at < to && buf.getByte(at) == '-' ? at + 1 : at;
        int digitsStart = i;
        long v = 0;
        while (i < to) {
            int d = buf.getByte(i) - '0';
            if (d < 0 || d > 9) {
                break;
            }
            v = v * 10 + d;
            i++;
        }
        if (i == digitsStart || i - digitsStart > 18) {
            return -1; // no digits, or too many for a long
        }
        out.number = i > at && buf.getByte(at) == '-' ? -v : v;
        return i;
    }

    static boolean startsWith(ByteBuf buf, int at, int to, byte[] prefix) {
        if (at < 0 || to - at < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The index just after the first occurrence of {@code needle} in {@code buf[from, to)}, or -1. */
    static int indexAfter(ByteBuf buf, int from, int to, byte[] needle) {
        byte first = needle[0];
        int last = to - needle.length;
        for (int i = from; i <= last; i++) {
            if (buf.getByte(i) == first && startsWith(buf, i, to, needle)) {
                return i + needle.length;
            }
        }
        return -1;
    }
}
