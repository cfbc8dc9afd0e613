package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What the server owes one connection in bulk (the private messages stored while its user was offline), written in
 * pages: each page goes out only once the previous one reached the socket. Queued at once, a backlog larger than
 * {@link ChatConfig#maxOutboundBytes()} would trip the slow-consumer close (4000) before the client could read
 * it, and since nothing was marked delivered, every reconnect would repeat it: a user locked out by what others
 * sent them. A page is at most a quarter of the outbound cap, so live traffic keeps its room.
 *
 * <p>Items leave in the order added; {@code written} gets each page once its frames were written to the socket,
 * never an item that was not. Used only on the connection's event loop.
 */
final class Backlog<T> {

    private final Channel channel;
    private final long pageBytes;
    private final Function<T, ByteBuf> encoder;
    private final Consumer<List<T>> written;
    private final ArrayDeque<T> queue = new ArrayDeque<>();
    /** Whether a page is on its way to the socket; the next starts when it arrives. */
    private boolean writing;

    /** {@code pageBytes}: how much one page may queue on the channel (at least one item per page). */
    Backlog(Channel channel, int pageBytes, Function<T, ByteBuf> encoder, Consumer<List<T>> written) {
        this.channel = channel;
        this.pageBytes = pageBytes;
        this.encoder = encoder;
        this.written = written;
    }

    /** Queues items after those already queued and starts writing unless a page is on its way. */
    void addAll(List<T> items) {
        queue.addAll(items);
        if (!writing) {
            writePage();
        }
    }

    int queued() {
        return queue.size();
    }

    private void writePage() {
        if (queue.isEmpty() || !channel.isActive()) {
            queue.clear(); // on a closed channel: still stored, delivered on the next connect
            return;
        }
        List<T> page = new ArrayList<>();
        long bytes = 0;
        ChannelFuture last = null;
        // At least one item per page, however large: a message never waits for a page it cannot fit in.
        while (!queue.isEmpty() && (page.isEmpty() || bytes < pageBytes)) {
            T item = queue.poll();
            ByteBuf frame = encoder.apply(item);
            bytes += frame.readableBytes();
            page.add(item);
            last = channel.write(frame);
        }
        channel.flush();
        writing = true;
        last.addListener(f -> {
            writing = false;
            if (f.isSuccess()) {
                written.accept(page);
                writePage();
            } else {
                queue.clear();
            }
        });
    }
}
