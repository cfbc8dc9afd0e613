package io.chatd.core;

import io.chatd.core.store.SentId;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client ids each user sent within the dedup window, so that a resent {@code msg} or {@code private}
 * returns the original ack instead of being delivered twice. A send claims its (user, id) with a digest of what
 * it sends before anything happens; a resend of the same content finds the claim and waits for the original's
 * ack, while the same id with other content is a {@link Outcome#CONFLICT}: a client that reuses ids (a counter
 * restarted by a page reload) must hear about it rather than lose its message.
 *
 * <p>Bounded three ways, and each bound is the documented guarantee: an id is remembered for the window, unless
 * its user sent {@code maxIdsPerUser} newer ones, or the server {@code maxIds} newer ones, before it expired.
 * Evictions of ids still inside the window are counted in {@link #evictedEarly()}. Lock-free but for one
 * user's own queue; called from any event loop.
 */
final class RecentIds {

    /** Most ids remembered at once across all users unless configured: about 300 bytes each, 60 MB in all. */
    static final int DEFAULT_MAX_IDS = 200_000;
    /** Most ids remembered per user: a flood of one user pushes out its own ids, never everyone else's. */
    static final int DEFAULT_MAX_IDS_PER_USER = 1_000;

    /** The outcome of {@link #claim}. */
    enum Outcome {
        /** The id is new: the caller owns the claim and must {@link #complete} or {@link #abandon} it. */
        NEW,
        /** The same id with the same content: a resend, to be answered with the earlier claim's ack. */
        RESEND,
        /** The same id with other content (or another target): refused with {@code id_conflict}. */
        CONFLICT
    }

    /** One claimed id; {@link #ack} completes with the original ack, or fails when the send was not applied. */
    static final class Claim {
        final String key;
        final String user;
        final long at;
        /** {@link #digest} of the request; 0 for ids restored from a store that kept none (any content matches). */
        final long digest;
        final CompletableFuture<SentId> ack = new CompletableFuture<>();
        /** Set once the claim left {@link #claims}; the expiry queue then just skips it. */
        volatile boolean gone;

        Claim(String key, String user, long at, long digest) {
            this.key = key;
            this.user = user;
            this.at = at;
            this.digest = digest;
        }
    }

    /** The outcome of {@link #claim} and the claim it concerns: the caller's own when NEW, the earlier one else. */
    record Attempt(Claim claim, Outcome outcome) {
        boolean mine() {
            return outcome == Outcome.NEW;
        }
    }

    private final ConcurrentHashMap<String, Claim> claims = new ConcurrentHashMap<>();
    /** Claims in the order made, for expiry; entries already {@link Claim#gone} are skipped. */
    private final ConcurrentLinkedQueue<Claim> order = new ConcurrentLinkedQueue<>();
    /** Each user's live claims, oldest first; a user's queue is changed under its own lock. */
    private final ConcurrentHashMap<String, ArrayDeque<Claim>> byUser = new ConcurrentHashMap<>();
    /** Entries of {@link #order} whose claim is gone: compacted away once they are half of it. */
    private final AtomicInteger goneInOrder = new AtomicInteger();
    private final LongAdder evictedEarly = new LongAdder();
    private final long windowMillis;
    private final int maxIds;
    private final int maxIdsPerUser;

    RecentIds(Duration window, List<SentId> restored) {
        this(window, DEFAULT_MAX_IDS, DEFAULT_MAX_IDS_PER_USER, restored);
    }

    RecentIds(Duration window, int maxIds, int maxIdsPerUser, List<SentId> restored) {
        this.windowMillis = window.toMillis();
        this.maxIds = maxIds;
        this.maxIdsPerUser = maxIdsPerUser;
        for (SentId sent : restored) {
            Claim claim = new Claim(key(sent.user(), sent.clientId()), sent.user(), sent.ts(), sent.digest());
            claim.ack.complete(sent);
            if (claims.putIfAbsent(claim.key, claim) == null) {
                order.add(claim);
                enqueueForUser(claim);
            }
        }
    }

    /**
     * A digest of what a request sends: its type, its target (room or recipient) and its content. Two requests
     * with the same digest are the same message; FNV-1a over the characters, 64 bits, never 0.
     */
    static long digest(String type, String target, String content) {
        long h = 0xcbf29ce484222325L;
        h = mix(h, type);
        h = mix(h, target);
        h = mix(h, content);
        return h == 0 ? 1 : h;
    }

    private static long mix(long h, String s) {
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001b3L;
        }
        return (h ^ 0xffff) * 0x100000001b3L; // a separator no char produces, so ("ab","c") != ("a","bc")
    }

    /**
     * Claims {@code (user, clientId)} for a request with {@code digest}. NEW when the id is free (the caller owns
     * the claim); RESEND or CONFLICT with the earlier claim otherwise.
     */
    Attempt claim(String user, String clientId, long digest) {
        long now = System.currentTimeMillis();
        expire(now);
        Claim fresh = new Claim(key(user, clientId), user, now, digest);
        Claim earlier = claims.putIfAbsent(fresh.key, fresh);
        if (earlier != null) {
            boolean same = earlier.digest == 0 || earlier.digest == digest;
            return new Attempt(earlier, same ? Outcome.RESEND : Outcome.CONFLICT);
        }
        order.add(fresh);
        enqueueForUser(fresh);
        return new Attempt(fresh, Outcome.NEW);
    }

    void complete(Claim claim, SentId sent) {
        claim.ack.complete(sent);
    }

    /** The send was refused or failed: forget the id, so that a resend is handled as new. */
    void abandon(Claim claim, Throwable why) {
        forget(claim);
        claim.ack.completeExceptionally(why);
    }

    int size() {
        return claims.size();
    }

    /** Entries in the expiry queue, live or already forgotten (for tests of its bound). */
    int queuedForExpiry() {
        return order.size();
    }

    /** Ids forgotten before the window passed, because of the per-user or the total bound. */
    long evictedEarly() {
        return evictedEarly.sum();
    }

    private void enqueueForUser(Claim claim) {
        Claim evicted = null;
        while (true) {
            ArrayDeque<Claim> mine = byUser.computeIfAbsent(claim.user, u -> new ArrayDeque<>());
            synchronized (mine) {
                if (byUser.get(claim.user) != mine) {
                    continue; // emptied and unmapped meanwhile by forget(): take the user's new queue
                }
                mine.addLast(claim);
                if (mine.size() > maxIdsPerUser) {
                    evicted = mine.pollFirst();
                }
                break;
            }
        }
        if (evicted != null) {
            evict(evicted, System.currentTimeMillis());
        }
    }

    private void expire(long now) {
        long cutoff = now - windowMillis;
        for (Claim head = order.peek(); head != null; head = order.peek()) {
            if (!head.gone && head.at >= cutoff && claims.size() <= maxIds) {
                return;
            }
            if (order.remove(head)) {
                if (head.gone) {
                    goneInOrder.decrementAndGet();
                } else {
                    evict(head, now);
                }
            }
        }
    }

    /** Forgets a claim that the bounds push out; counts it when it was still inside the window. */
    private void evict(Claim claim, long now) {
        if (claim.at >= now - windowMillis && !claim.gone) {
            evictedEarly.increment();
        }
        forget(claim);
    }

    private void forget(Claim claim) {
        if (!claims.remove(claim.key, claim)) {
            return;
        }
        claim.gone = true;
        ArrayDeque<Claim> mine = byUser.get(claim.user);
        if (mine != null) {
            synchronized (mine) {
                mine.remove(claim); // usually the head: ids leave in the order they came
                if (mine.isEmpty()) {
                    byUser.remove(claim.user, mine);
                }
            }
        }
        // Abandoned and per-user-evicted claims still sit in the expiry queue: drop them in bulk, not one scan each.
        if (goneInOrder.incrementAndGet() > Math.max(1024, claims.size())) {
            goneInOrder.set(0);
            order.removeIf(c -> c.gone);
        }
    }

    private static String key(String user, String clientId) {
        return user + '\n' + clientId;
    }
}
