package io.chatd.core;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * The event loops rooms are spread over. They are learnt from the first channel that arrives, because an
 * embedding application owns the loops and {@link Chat} is created before any exists.
 */
final class EventLoops {

    private volatile EventLoop[] loops;

    /** Records the loops of the group that serves {@code loop}; later calls are no-ops. */
    void learnFrom(EventLoop loop) {
        if (loops != null) {
            return;
        }
        synchronized (this) {
            if (loops == null) {
                EventLoopGroup parent = loop.parent();
                List<EventLoop> all = new ArrayList<>();
                if (parent != null) {
                    for (EventExecutor executor : parent) {
                        if (executor instanceof EventLoop) {
                            all.add((EventLoop) executor);
                        }
                    }
                }
                if (all.isEmpty()) {
                    all.add(loop);
                }
                loops = all.toArray(new EventLoop[0]);
            }
        }
    }

    /**
     * Hands {@code task} to {@code loop} from another thread. Returns false when the loop no longer takes tasks:
     * it is shutting down, and its channels with it, so the caller only has to release what the task held.
     */
    static boolean offer(EventExecutor loop, Runnable task) {
        try {
            loop.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** The loop that owns {@code key}, always the same one; null before any channel arrived. */
    EventLoop forKey(String key) {
        EventLoop[] known = loops;
        if (known == null) {
            return null;
        }
        return known[Math.floorMod(key.hashCode(), known.length)];
    }
}
