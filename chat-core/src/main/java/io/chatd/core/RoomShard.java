package io.chatd.core;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelMatchers;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;

/**
 * The members of one room that live on one event loop. A broadcast hands each shard the encoded frame once, and
 * the shard writes it to its members on their own loop: one task per loop instead of one cross-thread write per
 * member, and every write lands in the same turn's flush.
 */
final class RoomShard {

    private final LoopFlusher flusher;
    /**
     * Changed and iterated only on this shard's loop: membership changes are tasks queued behind the deliveries
     * the room handed over before them, so a member never receives a frame broadcast before it joined.
     */
    final ChannelGroup channels;
    /** Members as the room's owner loop counts them (the group lags behind by the queued tasks). */
    int memberCount;
    /** Whether {@link #flusher} will flush {@link #channels} at the end of the turn; owned by this shard's loop. */
    boolean flushPending;

    RoomShard(String roomName, LoopFlusher flusher) {
        this.flusher = flusher;
        // Listeners of the group's futures run in the calling thread: we add no blocking ones.
        this.channels = new DefaultChannelGroup(roomName, ImmediateEventExecutor.INSTANCE);
    }

    /**
     * Writes {@code frame} to every member but {@code except} (may be null) and releases it; safe from any thread.
     * Frames handed over by one thread are written in the order handed over.
     */
    void deliver(ByteBuf frame, Channel except) {
        if (flusher.loop().inEventLoop()) {
            deliverOnLoop(frame, except);
        } else if (!EventLoops.offer(flusher.loop(), () -> deliverOnLoop(frame, except))) {
            frame.release();
        }
    }

    /** Adds a member, after every frame handed over before; call from the room's loop. */
    void add(Channel channel) {
        memberCount++;
        onLoop(() -> channels.add(channel));
    }

    /** Removes a member, after every frame handed over before; call from the room's loop. */
    void remove(Channel channel) {
        memberCount--;
        onLoop(() -> channels.remove(channel));
    }

    private void onLoop(Runnable task) {
        if (flusher.loop().inEventLoop()) {
            task.run();
        } else {
            EventLoops.offer(flusher.loop(), task); // refused only by a stopping loop, whose channels close
        }
    }

    private void deliverOnLoop(ByteBuf frame, Channel except) {
        // The group writes a retainedDuplicate() to each member and releases the original; a failed write to
        // one member never stops the others.
        channels.write(frame, except == null ? ChannelMatchers.all() : ChannelMatchers.isNot(except), true);
        flusher.flushLater(this);
    }
}
