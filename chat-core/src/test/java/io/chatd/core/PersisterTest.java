package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.store.MemoryMessageStore;
import io.chatd.core.store.Retention;
import io.chatd.core.store.RoomMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The store thread's contract with its callers: every accepted operation ends in committed or failed. */
@Timeout(30)
class PersisterTest {

    private static final Retention RETENTION = new Retention(100, Duration.ofHours(1), 10, Duration.ofHours(1),
            Duration.ofMinutes(10));

    @Test
    void aWriteWhoseFillThrowsFailsAndLeavesNothingOfItInTheBatch() throws Exception {
        MemoryMessageStore store = new MemoryMessageStore();
        Persister persister = new Persister(store, RETENTION, Duration.ofMinutes(1), "test-store");
        try {
            CompletableFuture<Throwable> failed = new CompletableFuture<>();
            CompletableFuture<Void> committed = new CompletableFuture<>();
            assertTrue(persister.write(batch -> {
                batch.roomMessages.add(new RoomMessage("r", 1, 1, "alice", "half written"));
                throw new IllegalStateException("a bug while filling");
            }, () -> committed.complete(null), failed::complete));
            assertTrue(failed.get(5, TimeUnit.SECONDS) instanceof IllegalStateException);
            assertFalse(committed.isDone());

            CompletableFuture<Void> next = new CompletableFuture<>();
            persister.write(batch -> batch.roomMessages.add(new RoomMessage("r", 2, 2, "alice", "whole")),
                    () -> next.complete(null), next::completeExceptionally);
            next.get(5, TimeUnit.SECONDS);
            CompletableFuture<List<RoomMessage>> read = new CompletableFuture<>();
            persister.read(s -> s.roomMessages("r", 0, Long.MAX_VALUE, 10), (messages, error) -> read.complete(messages));
            assertEquals(List.of("whole"), read.get(5, TimeUnit.SECONDS).stream().map(RoomMessage::content).toList(),
                    "the failed write's half is not committed with the next batch");
        } finally {
            persister.close();
        }
    }

    @Test
    void afterCloseWritesAndReadsAreRefusedNotSilentlyDropped() {
        Persister persister = new Persister(new MemoryMessageStore(), RETENTION, Duration.ofMinutes(1), "test-store");
        persister.close();
        assertFalse(persister.write(batch -> { }, () -> { }, e -> { }));
        assertFalse(persister.read(s -> null, (r, e) -> { }));
    }
}
