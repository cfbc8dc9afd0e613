package io.chatd.core.store;

import java.time.Duration;
import java.util.Objects;

/**
 * What a store keeps. Room history: the newest {@code historySize} messages of each room, none older than
 * {@code historyTtl}. Offline private messages: at most {@code offlineMaxPerUser} per recipient (a new one
 * pushes out the oldest), none older than {@code offlineTtl}. Sent ids: those younger than {@code dedupWindow}.
 */
public record Retention(int historySize, Duration historyTtl, int offlineMaxPerUser, Duration offlineTtl,
                        Duration dedupWindow) {
    public Retention {
        Objects.requireNonNull(historyTtl, "historyTtl");
        Objects.requireNonNull(offlineTtl, "offlineTtl");
        Objects.requireNonNull(dedupWindow, "dedupWindow");
    }
}
