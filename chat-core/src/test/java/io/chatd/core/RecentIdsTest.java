package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.store.SentId;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The idempotency memory: per user, within the window, bounded in size. */
class RecentIdsTest {

    @Test
    void aSecondClaimOfTheSameUserAndIdGetsTheFirstOne() {
        RecentIds ids = new RecentIds(Duration.ofMinutes(10), List.of());
        RecentIds.Attempt first = ids.claim("alice", "1");
        assertTrue(first.mine());
        RecentIds.Attempt again = ids.claim("alice", "1");
        assertFalse(again.mine());
        assertSame(first.claim(), again.claim());
        assertTrue(ids.claim("bob", "1").mine(), "ids are per user");
        ids.abandon(first.claim(), new IllegalStateException("failed"));
        assertTrue(ids.claim("alice", "1").mine(), "a failed send's id is free again");
    }

    @Test
    void idsOutsideTheWindowAreForgotten() throws InterruptedException {
        RecentIds ids = new RecentIds(Duration.ofMillis(50), List.of());
        ids.claim("alice", "1");
        Thread.sleep(100);
        assertTrue(ids.claim("alice", "1").mine());
        assertEquals(1, ids.size());
    }

    @Test
    void restoredIdsAnswerWithTheirAck() {
        SentId sent = new SentId("alice", "1", System.currentTimeMillis(), 7, false);
        RecentIds ids = new RecentIds(Duration.ofMinutes(10), List.of(sent));
        RecentIds.Attempt attempt = ids.claim("alice", "1");
        assertFalse(attempt.mine());
        assertEquals(sent, attempt.claim().ack.join());
    }

    @Test
    void memoryIsBoundedWhateverTheWindow() {
        RecentIds ids = new RecentIds(Duration.ofHours(1), List.of());
        for (int i = 0; i < RecentIds.MAX_IDS + 500; i++) {
            ids.claim("alice", Integer.toString(i));
        }
        assertTrue(ids.size() <= RecentIds.MAX_IDS + 1, "size " + ids.size());
        assertTrue(ids.claim("alice", "0").mine(), "the oldest id was forgotten first");
    }
}
