package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.store.MemoryMessageStore;
import io.chatd.core.store.Retention;
import io.chatd.core.store.RoomMessage;
import io.chatd.core.store.WriteBatch;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
    void aReadWaitsForTheCommitOfEveryWriteQueuedBeforeIt() throws Exception {
        GatedStore store = new GatedStore();
        store.readsOpen.countDown();
        Persister persister = new Persister(store, RETENTION, Duration.ofMinutes(1), "test-store");
        try {
            persister.write(batch -> batch.roomMessages.add(new RoomMessage("r", 1, 1, "alice", "slow commit")),
                    null, null);
            CompletableFuture<List<RoomMessage>> read = new CompletableFuture<>();
            assertTrue(persister.read(s -> s.roomMessages("r", 0, Long.MAX_VALUE, 10),
                    (messages, error) -> read.complete(messages)));
            assertTrue(store.writing.await(5, TimeUnit.SECONDS));
            Thread.sleep(200);
            assertFalse(read.isDone(), "a read must not run before the writes queued before it are committed");
            store.commitsOpen.countDown();
            assertEquals(List.of("slow commit"),
                    read.get(5, TimeUnit.SECONDS).stream().map(RoomMessage::content).toList());
        } finally {
            store.commitsOpen.countDown();
            persister.close();
        }
    }

    @Test
    void aSlowReadDoesNotHoldUpLaterCommits() throws Exception {
        GatedStore store = new GatedStore();
        store.commitsOpen.countDown();
        Persister persister = new Persister(store, RETENTION, Duration.ofMinutes(1), "test-store");
        try {
            CompletableFuture<List<RoomMessage>> read = new CompletableFuture<>();
            persister.read(s -> s.roomMessages("r", 0, Long.MAX_VALUE, 10),
                    (messages, error) -> read.complete(messages));
            assertTrue(store.reading.await(5, TimeUnit.SECONDS));
            CompletableFuture<Void> committed = new CompletableFuture<>();
            persister.write(batch -> batch.roomMessages.add(new RoomMessage("r", 1, 1, "alice", "acked")),
                    () -> committed.complete(null), committed::completeExceptionally);
            committed.get(5, TimeUnit.SECONDS);
            assertFalse(read.isDone());
            store.readsOpen.countDown();
            read.get(5, TimeUnit.SECONDS);
        } finally {
            store.readsOpen.countDown();
            persister.close();
        }
    }

    @Test
    void closeRunsTheReadsAlreadyQueuedBeforeClosingTheStore() throws Exception {
        GatedStore store = new GatedStore();
        store.commitsOpen.countDown();
        store.readsOpen.countDown();
        Persister persister = new Persister(store, RETENTION, Duration.ofMinutes(1), "test-store");
        persister.write(batch -> batch.roomMessages.add(new RoomMessage("r", 1, 1, "alice", "kept")), null, null);
        CompletableFuture<List<RoomMessage>> read = new CompletableFuture<>();
        persister.read(s -> s.roomMessages("r", 0, Long.MAX_VALUE, 10), (messages, error) -> read.complete(
                messages));
        persister.close();
        assertEquals(1, read.get(5, TimeUnit.SECONDS).size());
        assertFalse(persister.read(s -> null, (r, e) -> { }));
    }

    /** A memory store whose commits and room reads each wait for a latch. */
    private static final class GatedStore extends MemoryBackedStore {
        final CountDownLatch commitsOpen = new CountDownLatch(1);
        final CountDownLatch readsOpen = new CountDownLatch(1);
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch reading = new CountDownLatch(1);

        @Override
        public void write(WriteBatch batch) {
            writing.countDown();
            await(commitsOpen);
            memory.write(batch);
        }

        @Override
        public List<RoomMessage> roomMessages(String room, long afterSeq, long beforeSeq, int limit) {
            reading.countDown();
            await(readsOpen);
            return memory.roomMessages(room, afterSeq, beforeSeq, limit);
        }

        private static void await(CountDownLatch latch) {
            try {
                latch.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
