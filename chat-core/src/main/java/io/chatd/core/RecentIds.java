package io.chatd.core;

import io.chatd.core.store.SentId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The client ids each user sent within the dedup window, so that a resent {@code msg} or {@code private}
 * returns the original ack instead of being delivered twice. A send claims its (user, id) before anything
 * happens; a resend finds the claim and waits for the original's ack. Bounded twice: entries older than the
 * window go, and past {@link #MAX_IDS} the oldest go first. Lock-free; called from any event loop.
 */
final class RecentIds {

    /** Most ids remembered at once, whatever the window: about 200 bytes each. */
    static final int MAX_IDS = 100_000;

    /** One claimed id; {@link #ack} completes with the original ack, or fails when the send was not applied. */
    static final class Claim {
        final String key;
        final long at;
        final CompletableFuture<SentId> ack = new CompletableFuture<>();

        Claim(String key, long at) {
            this.key = key;
            this.at = at;
        }
    }

    private final ConcurrentHashMap<String, Claim> claims = new ConcurrentHashMap<>();
    /** Claims in the order made, for expiry. */
    private final ConcurrentLinkedQueue<Claim> order = new ConcurrentLinkedQueue<>();
    private final long windowMillis;

    RecentIds(Duration window, List<SentId> restored) {
        this.windowMillis = window.toMillis();
        for (SentId sent : restored) {
            Claim claim = new Claim(key(sent.user(), sent.clientId()), sent.ts());
            claim.ack.complete(sent);
            claims.put(claim.key, claim);
            order.add(claim);
        }
    }

    /** The outcome of {@link #claim}: {@code mine} when the caller made the claim and owns it. */
    record Attempt(Claim claim, boolean mine) {
    }

    /**
     * Claims {@code (user, clientId)}. When the id is new the caller owns the claim and must {@link #complete}
     * or {@link #abandon} it; otherwise the earlier claim is returned, whose ack to send back.
     */
    Attempt claim(String user, String clientId) {
        long now = System.currentTimeMillis();
        expire(now);
        Claim fresh = new Claim(key(user, clientId), now);
        Claim earlier = claims.putIfAbsent(fresh.key, fresh);
        if (earlier != null) {
            return new Attempt(earlier, false);
        }
        order.add(fresh);
        return new Attempt(fresh, true);
    }

    void complete(Claim claim, SentId sent) {
        claim.ack.complete(sent);
    }

    /** The send was refused or failed: forget the id, so that a resend is handled as new. */
    void abandon(Claim claim, Throwable why) {
        claims.remove(claim.key, claim);
        claim.ack.completeExceptionally(why);
    }

    int size() {
        return claims.size();
    }

    private void expire(long now) {
        long cutoff = now - windowMillis;
        for (Claim head = order.peek(); head != null; head = order.peek()) {
            if (head.at >= cutoff && claims.size() <= MAX_IDS) {
                return;
            }
            if (order.remove(head)) {
                claims.remove(head.key, head);
            }
        }
    }

    private static String key(String user, String clientId) {
        return user + '\n' + clientId;
    }
}
