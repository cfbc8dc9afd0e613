package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.RecentIds.Outcome;
import io.chatd.core.store.SentId;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The idempotency memory: per user, within the window, bounded in size per user and in total. */
class RecentIdsTest {

    private static final long HELLO = RecentIds.digest("msg", "lobby", "hello");

    @Test
    void aSecondClaimOfTheSameUserIdAndContentIsAResendOfTheFirst() {
        RecentIds ids = new RecentIds(Duration.ofMinutes(10), List.of());
        RecentIds.Attempt first = ids.claim("alice", "1", HELLO);
        assertEquals(Outcome.NEW, first.outcome());
        RecentIds.Attempt again = ids.claim("alice", "1", HELLO);
        assertEquals(Outcome.RESEND, again.outcome());
        assertSame(first.claim(), again.claim());
        assertTrue(ids.claim("bob", "1", HELLO).mine(), "ids are per user");
        ids.abandon(first.claim(), new IllegalStateException("failed"));
        assertTrue(ids.claim("alice", "1", HELLO).mine(), "a failed send's id is free again");
    }

    @Test
    void theSameIdWithOtherContentOrAnotherTargetIsAConflict() {
        RecentIds ids = new RecentIds(Duration.ofMinutes(10), List.of());
        ids.claim("alice", "c1", HELLO);
        assertEquals(Outcome.CONFLICT, ids.claim("alice", "c1", RecentIds.digest("msg", "lobby", "other")).outcome());
        assertEquals(Outcome.CONFLICT, ids.claim("alice", "c1", RecentIds.digest("msg", "dev", "hello")).outcome());
        assertEquals(Outcome.CONFLICT,
                ids.claim("alice", "c1", RecentIds.digest("private", "lobby", "hello")).outcome());
        assertEquals(Outcome.RESEND, ids.claim("alice", "c1", HELLO).outcome(), "the conflict changed nothing");
    }

    @Test
    void theDigestSeparatesItsParts() {
        assertNotEquals(RecentIds.digest("msg", "ab", "c"), RecentIds.digest("msg", "a", "bc"));
        assertNotEquals(RecentIds.digest("msg", "r", ""), RecentIds.digest("msg", "", "r"));
    }

    @Test
    void idsOutsideTheWindowAreForgotten() throws InterruptedException {
        RecentIds ids = new RecentIds(Duration.ofMillis(50), List.of());
        ids.claim("alice", "1", HELLO);
        Thread.sleep(100);
        assertTrue(ids.claim("alice", "1", HELLO).mine());
        assertEquals(1, ids.size());
        assertEquals(0, ids.evictedEarly(), "expiry after the window is not early");
    }

    @Test
    void restoredIdsAnswerWithTheirAckAndKeepTheirDigest() {
        SentId sent = new SentId("alice", "1", System.currentTimeMillis(), 7, false, HELLO);
        SentId legacy = new SentId("alice", "2", System.currentTimeMillis(), 8, false);
        RecentIds ids = new RecentIds(Duration.ofMinutes(10), List.of(sent, legacy));
        RecentIds.Attempt attempt = ids.claim("alice", "1", HELLO);
        assertEquals(Outcome.RESEND, attempt.outcome());
        assertEquals(sent, attempt.claim().ack.join());
        assertEquals(Outcome.CONFLICT, ids.claim("alice", "1", RecentIds.digest("msg", "lobby", "x")).outcome());
        assertEquals(Outcome.RESEND, ids.claim("alice", "2", HELLO).outcome(),
                "an id stored without a digest matches any content");
    }

    @Test
    void memoryIsBoundedInTotalAndEarlyEvictionsAreCounted() {
        RecentIds ids = new RecentIds(Duration.ofHours(1), 100, 1000, List.of());
        for (int i = 0; i < 150; i++) {
            ids.claim("user" + (i % 7), Integer.toString(i), HELLO);
        }
        assertTrue(ids.size() <= 101, "size " + ids.size());
        assertTrue(ids.evictedEarly() >= 49, "evicted early " + ids.evictedEarly());
        assertTrue(ids.claim("user0", "0", HELLO).mine(), "the oldest id was forgotten first");
        assertEquals(Outcome.RESEND, ids.claim("user2", "149", HELLO).outcome(), "the newest is remembered");
    }

    @Test
    void oneUserFloodingPushesOutOnlyItsOwnIds() {
        RecentIds ids = new RecentIds(Duration.ofHours(1), 10_000, 50, List.of());
        ids.claim("bob", "b1", HELLO);
        for (int i = 0; i < 5_000; i++) {
            ids.claim("mallory", Integer.toString(i), HELLO);
        }
        assertEquals(Outcome.RESEND, ids.claim("bob", "b1", HELLO).outcome(), "bob's id survives mallory's flood");
        assertTrue(ids.claim("mallory", "0", HELLO).mine(), "mallory's oldest ids went");
        assertEquals(Outcome.RESEND, ids.claim("mallory", "4999", HELLO).outcome());
        assertTrue(ids.size() <= 52, "size " + ids.size());
    }

    @Test
    void abandonedClaimsDoNotAccumulate() {
        RecentIds ids = new RecentIds(Duration.ofHours(1), List.of());
        for (int i = 0; i < 100_000; i++) {
            RecentIds.Attempt a = ids.claim("alice", Integer.toString(i), HELLO);
            ids.abandon(a.claim(), new IllegalStateException("refused"));
        }
        assertEquals(0, ids.size());
        assertTrue(ids.queuedForExpiry() <= 2048, "expiry queue holds " + ids.queuedForExpiry());
    }
}
