package io.chatd.core;

import com.google.gson.stream.JsonWriter;
import io.chatd.core.store.RoomMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Collection;
import java.util.List;

/**
 * Builds every server-to-client frame, as a ready-to-write WebSocket text frame. Gson's {@link JsonWriter}
 * does the escaping, so no user text can break out of its string. Each method is safe on any thread.
 */
final class ServerMessages {

    /** Reused per thread: encoding runs on event loops, and a message is a few hundred bytes. */
    private static final ThreadLocal<StringBuilderWriter> BUFFERS = ThreadLocal.withInitial(StringBuilderWriter::new);

    private ServerMessages() {
    }

    static ByteBuf welcome(ByteBufAllocator alloc, String user, String session, Collection<String> rooms,
                           String epoch) {
        return encode(alloc, w -> {
            w.name("type").value("welcome");
            w.name("user").value(user);
            w.name("session").value(session);
            w.name("epoch").value(epoch);
            w.name("rooms").beginArray();
            for (String room : rooms) {
                w.value(room);
            }
            w.endArray();
        });
    }

    static ByteBuf roomMessage(ByteBufAllocator alloc, String room, String from, String content, long ts, long seq) {
        return encode(alloc, w -> {
            w.name("type").value("msg");
            w.name("room").value(room);
            w.name("from").value(from);
            w.name("content").value(content);
            w.name("ts").value(ts);
            w.name("seq").value(seq);
        });
    }

    /** A private message; {@code seq} is its number in the conversation, {@code stored} marks one kept offline. */
    static ByteBuf privateMessage(ByteBufAllocator alloc, String from, String to, String content, long ts, long seq,
                                  boolean stored) {
        return encode(alloc, w -> {
            w.name("type").value("private");
            w.name("from").value(from);
            w.name("to").value(to);
            w.name("content").value(content);
            w.name("ts").value(ts);
            w.name("seq").value(seq);
            if (stored) {
                w.name("stored").value(true);
            }
        });
    }

    /** The {@code ack} of a request that numbers nothing, such as {@code auth}. */
    static ByteBuf ack(ByteBufAllocator alloc, String id, long ts) {
        return encode(alloc, w -> {
            w.name("type").value("ack");
            w.name("id").value(id);
            w.name("ts").value(ts);
        });
    }

    /** An ack: {@code seq} is the room or conversation seq; {@code stored} only appears when true. */
    static ByteBuf ack(ByteBufAllocator alloc, String id, long ts, long seq, boolean stored) {
        return encode(alloc, w -> {
            w.name("type").value("ack");
            w.name("id").value(id);
            w.name("ts").value(ts);
            w.name("seq").value(seq);
            if (stored) {
                w.name("stored").value(true);
            }
        });
    }

    /** Starts the replay of a {@code join} with {@code since}: {@code count} {@code msg} frames follow. */
    static ByteBuf resume(ByteBufAllocator alloc, String room, long since, boolean recovered, int count,
                          String epoch) {
        return encode(alloc, w -> {
            w.name("type").value("resume");
            w.name("room").value(room);
            w.name("since").value(since);
            w.name("recovered").value(recovered);
            w.name("count").value(count);
            w.name("epoch").value(epoch);
        });
    }

    /**
     * Sent just before a close that asks the client to reconnect: reconnect at a random moment within
     * {@code withinMillis} of the close, so that the clients of a whole server do not come back at once.
     */
    static ByteBuf reconnect(ByteBufAllocator alloc, long withinMillis) {
        return encode(alloc, w -> {
            w.name("type").value("reconnect");
            w.name("within").value(withinMillis);
        });
    }

    /** A page of room history, oldest first; {@code more} when older messages remain. */
    static ByteBuf history(ByteBufAllocator alloc, String room, List<RoomMessage> messages, boolean more, String id) {
        return encode(alloc, w -> {
            w.name("type").value("history");
            w.name("room").value(room);
            w.name("messages").beginArray();
            for (RoomMessage m : messages) {
                w.beginObject();
                w.name("from").value(m.from());
                w.name("content").value(m.content());
                w.name("ts").value(m.ts());
                w.name("seq").value(m.seq());
                w.endObject();
            }
            w.endArray();
            w.name("more").value(more);
            if (id != null) {
                w.name("id").value(id);
            }
        });
    }

    /** A read receipt: {@code by} read the conversation with {@code with} up to {@code seq}. */
    static ByteBuf read(ByteBufAllocator alloc, String by, String with, long seq) {
        return encode(alloc, w -> {
            w.name("type").value("read");
            w.name("by").value(by);
            w.name("with").value(with);
            w.name("seq").value(seq);
        });
    }

    /** A {@code join} or {@code leave} notice. */
    static ByteBuf presence(ByteBufAllocator alloc, String type, String room, String user, long ts) {
        return encode(alloc, w -> {
            w.name("type").value(type);
            w.name("room").value(room);
            w.name("user").value(user);
            w.name("ts").value(ts);
        });
    }

    /** Gathered presence changes of a big room: the user count, and who joined and left when {@code named}. */
    static ByteBuf presenceBatch(ByteBufAllocator alloc, String room, int count, boolean named,
                                 Collection<String> joined, Collection<String> left) {
        return encode(alloc, w -> {
            w.name("type").value("presence");
            w.name("room").value(room);
            w.name("count").value(count);
            if (named) {
                w.name("joined").beginArray();
                for (String user : joined) {
                    w.value(user);
                }
                w.endArray();
                w.name("left").beginArray();
                for (String user : left) {
                    w.value(user);
                }
                w.endArray();
            }
        });
    }

    static ByteBuf who(ByteBufAllocator alloc, String room, Collection<String> users, int count, boolean more) {
        return encode(alloc, w -> {
            w.name("type").value("who");
            w.name("room").value(room);
            w.name("users").beginArray();
            for (String user : users) {
                w.value(user);
            }
            w.endArray();
            w.name("count").value(count);
            w.name("more").value(more);
        });
    }

    static ByteBuf pong(ByteBufAllocator alloc, String id) {
        return encode(alloc, w -> {
            w.name("type").value("pong");
            if (id != null) {
                w.name("id").value(id);
            }
        });
    }

    static ByteBuf error(ByteBufAllocator alloc, ErrorCode code, String message, String id) {
        return encode(alloc, w -> {
            w.name("type").value("error");
            w.name("code").value(code.wireName());
            w.name("message").value(message);
            if (id != null) {
                w.name("id").value(id);
            }
        });
    }

    private interface Fields {
        void write(JsonWriter writer) throws IOException;
    }

    private static ByteBuf encode(ByteBufAllocator alloc, Fields fields) {
        StringBuilderWriter out = BUFFERS.get();
        out.builder.setLength(0);
        try {
            JsonWriter writer = new JsonWriter(out);
            // Keep '<', '>', '&' and '=' as they are: the client renders text with textContent, never as HTML.
            writer.setHtmlSafe(false);
            writer.beginObject();
            fields.write(writer);
            writer.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringBuilder does not fail
        }
        return WebSocketFrames.text(alloc, out.builder);
    }

    /** A {@link Writer} over a reusable, unsynchronized {@link StringBuilder}. */
    private static final class StringBuilderWriter extends Writer {
        final StringBuilder builder = new StringBuilder(256);

        @Override
        public void write(char[] chars, int off, int len) {
            builder.append(chars, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            builder.append(str, off, off + len);
        }

        @Override
        public void write(int c) {
            builder.append((char) c);
        }

        @Override
        public Writer append(CharSequence csq) {
            builder.append(csq);
            return this;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
