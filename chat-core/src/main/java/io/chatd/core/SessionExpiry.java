package io.chatd.core;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection with {@link CloseCodes#TOKEN_EXPIRED} when its credential expires. One per connection, used
 * on its event loop only: a refresh reschedules it, the close cancels it.
 */
final class SessionExpiry {

    private final Channel channel;
    private ScheduledFuture<?> task;

    SessionExpiry(Channel channel) {
        this.channel = channel;
    }

    /** Replaces any earlier deadline; null means the credential never expires. */
    void schedule(Instant expiresAt) {
        cancel();
        if (expiresAt == null) {
            return;
        }
        long delayMillis = Math.max(0, expiresAt.toEpochMilli() - System.currentTimeMillis());
        task = channel.eventLoop().schedule(
                () -> Disconnect.close(channel, CloseCodes.TOKEN_EXPIRED, "token expired"),
                delayMillis, TimeUnit.MILLISECONDS);
    }

    void cancel() {
        if (task != null) {
            task.cancel(false);
            task = null;
        }
    }
}
