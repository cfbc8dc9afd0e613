package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.Retention;
import io.chatd.core.store.RoomMessage;
import io.chatd.core.store.SentId;
import io.chatd.core.store.StoreException;
import io.chatd.core.store.StoreState;
import io.chatd.core.store.WriteBatch;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite store on its own: schema, migrations, retention and what a reopened file remembers. */
class SqliteMessageStoreTest {

    private static final Retention RETENTION = new Retention(5, Duration.ofHours(1), 3, Duration.ofHours(1),
            Duration.ofMinutes(10));

    @TempDir
    Path dir;

    @Test
    void aNewFileGetsTheCurrentSchemaInWalMode() throws Exception {
        Path file = dir.resolve("new/chat.db");
        SqliteMessageStore store = new SqliteMessageStore(file);
        StoreState fresh = store.open(RETENTION);
        assertEquals(StoreState.EMPTY.roomSeqs(), fresh.roomSeqs());
        assertEquals(0, fresh.lastPrivateId());
        assertTrue(fresh.epoch() != null && !fresh.epoch().isEmpty(), "a durable store names its numbering");
        store.close();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = db.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT max(version) FROM schema_version")) {
                assertTrue(rs.next());
                assertEquals(5, rs.getInt(1));
            }
            for (String table : new String[] {"room_messages", "private_messages", "client_ids", "rooms",
                "conversations"}) {
                try (ResultSet plan = s.executeQuery("EXPLAIN QUERY PLAN DELETE FROM " + table + " WHERE ts < 0")) {
                    assertTrue(plan.next());
                    String detail = plan.getString("detail");
                    assertTrue(detail.contains("USING INDEX") || detail.contains("USING COVERING INDEX"),
                            "retention on " + table + " uses an index, not a scan: " + detail);
                }
            }
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                assertTrue(rs.next());
                assertEquals("wal", rs.getString(1));
            }
        }
    }

    @Test
    void roomReadsNeitherWaitForAnOpenWriteTransactionNorSeeItButSeeEveryReturnedWrite() throws Exception {
        Path file = dir.resolve("chat.db");
        SqliteMessageStore store = new SqliteMessageStore(file);
        store.open(RETENTION);
        try {
            WriteBatch batch = new WriteBatch();
            batch.roomMessages.add(new RoomMessage("r", 1, 1, "alice", "committed"));
            store.write(batch);
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
                 Statement s = other.createStatement()) {
                // Another writer holds the write lock mid-transaction, as a slow commit would.
                s.execute("BEGIN IMMEDIATE");
                s.execute("INSERT INTO room_messages (room, seq, ts, sender, content) VALUES ('r', 2, 2, 'bob',"
                        + " 'uncommitted')");
                CompletableFuture<List<RoomMessage>> read = CompletableFuture.supplyAsync(
                        () -> store.roomMessages("r", 0, Long.MAX_VALUE, 10));
                assertEquals(List.of("committed"), read.get(5, TimeUnit.SECONDS).stream()
                        .map(RoomMessage::content).toList(), "a WAL reader does not wait for the writer");
                s.execute("ROLLBACK");
            }
            WriteBatch next = new WriteBatch();
            next.roomMessages.add(new RoomMessage("r", 2, 2, "alice", "returned"));
            store.write(next);
            assertEquals(List.of("committed", "returned"), CompletableFuture.supplyAsync(
                    () -> store.roomMessages("r", 0, Long.MAX_VALUE, 10)).get(5, TimeUnit.SECONDS).stream()
                    .map(RoomMessage::content).toList(), "a read on another thread sees every write that returned");
        } finally {
            store.close();
        }
    }

    @Test
    void aReopenedStoreContinuesWhereItStoppedAndKeepsOnlyTheRetention() {
        Path file = dir.resolve("chat.db");
        long now = System.currentTimeMillis();
        SqliteMessageStore store = new SqliteMessageStore(file);
        store.open(RETENTION);
        WriteBatch batch = new WriteBatch();
        for (int seq = 1; seq <= 8; seq++) {
            batch.roomMessages.add(new RoomMessage("r", seq, now + seq, "alice", "m" + seq));
        }
        for (int id = 1; id <= 4; id++) {
            batch.offlineMessages.add(new PrivateMessage(id, "alice", "bob", id, now, "p" + id));
        }
        batch.conversationSeqs.put("alice\nbob", 4L);
        batch.sentIds.add(new SentId("alice", "c1", now, 8, false, 42));
        store.write(batch);
        // history-size 5: seqs 4..8 remain, oldest first.
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L),
                store.roomMessages("r", 0, Long.MAX_VALUE, 100).stream().map(RoomMessage::seq).toList());
        assertEquals(List.of(6L, 7L), store.roomMessages("r", 5, 8, 100).stream().map(RoomMessage::seq).toList());
        assertEquals(List.of(7L, 8L), store.roomMessages("r", 0, Long.MAX_VALUE, 2).stream().map(RoomMessage::seq).toList());
        // offline cap 3: the oldest went first.
        assertEquals(List.of("p2", "p3", "p4"),
                store.undelivered("bob", 10).stream().map(PrivateMessage::content).toList());
        WriteBatch delivered = new WriteBatch();
        delivered.delivered.add(2L);
        store.write(delivered);
        store.close();

        SqliteMessageStore reopened = new SqliteMessageStore(file);
        StoreState state = reopened.open(RETENTION);
        assertEquals(8L, state.roomSeqs().get("r"));
        assertEquals(4L, state.conversationSeqs().get("alice\nbob"));
        assertEquals(4L, state.lastPrivateId());
        assertEquals(List.of(new SentId("alice", "c1", now, 8, false, 42)), state.recentIds(),
                "the id comes back with what it sent");
        assertEquals(List.of("p3", "p4"), reopened.undelivered("bob", 10).stream().map(PrivateMessage::content).toList());
        assertEquals(java.util.Map.of("alice", 2), reopened.undeliveredBySender());
        assertEquals(java.util.Optional.of(java.util.Set.of("bob")), reopened.undeliveredRecipients());
        // Past the TTLs everything goes, the numbering of the silent room and conversation too, but their last
        // seqs stay as floors: names that come back continue above them.
        reopened.prune(now + Duration.ofHours(2).toMillis());
        assertEquals(List.of(), reopened.roomMessages("r", 0, Long.MAX_VALUE, 100));
        assertEquals(List.of(), reopened.undelivered("bob", 10));
        assertEquals(java.util.Map.of(), reopened.undeliveredBySender());
        assertEquals(java.util.Optional.of(java.util.Set.of()), reopened.undeliveredRecipients());
        reopened.close();
        SqliteMessageStore third = new SqliteMessageStore(file);
        StoreState pruned = third.open(RETENTION);
        assertEquals(java.util.Map.of(), pruned.roomSeqs());
        assertEquals(java.util.Map.of(), pruned.conversationSeqs());
        assertEquals(8L, pruned.roomSeqFloor());
        assertEquals(4L, pruned.conversationSeqFloor());
        third.close();
    }

    @Test
    void aVersionOneFileIsMigratedAndItsIdsMatchAnyContent() throws Exception {
        Path file = dir.resolve("v1.db");
        long now = System.currentTimeMillis();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = db.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)");
            s.execute("INSERT INTO schema_version VALUES (1)");
            s.execute("CREATE TABLE room_messages (room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,"
                    + " sender TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID");
            s.execute("CREATE TABLE rooms (name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID");
            s.execute("CREATE TABLE private_messages (id INTEGER PRIMARY KEY, recipient TEXT NOT NULL,"
                    + " sender TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, content TEXT NOT NULL)");
            s.execute("CREATE INDEX private_messages_by_recipient ON private_messages (recipient, id)");
            s.execute("CREATE TABLE conversations (conv TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID");
            s.execute("CREATE TABLE client_ids (user TEXT NOT NULL, client_id TEXT NOT NULL, ts INTEGER NOT NULL,"
                    + " seq INTEGER NOT NULL, stored INTEGER NOT NULL, PRIMARY KEY (user, client_id)) WITHOUT ROWID");
            s.execute("INSERT INTO client_ids VALUES ('alice', 'c1', " + now + ", 3, 0)");
            s.execute("INSERT INTO room_messages VALUES ('r', 3, " + now + ", 'alice', 'hi')");
            s.execute("INSERT INTO rooms VALUES ('r', 3), ('silent', 9)");
            s.execute("INSERT INTO conversations VALUES ('alice\nbob', 2)");
        }
        SqliteMessageStore store = new SqliteMessageStore(file);
        assertEquals(List.of(new SentId("alice", "c1", now, 3, false, 0)), store.open(RETENTION).recentIds());
        // The upgrade dates rooms by their newest message and conversations by the upgrade: a prune forgets only
        // the room without messages.
        store.prune(System.currentTimeMillis());
        store.close();
        SqliteMessageStore reopened = new SqliteMessageStore(file);
        StoreState state = reopened.open(RETENTION);
        assertEquals(java.util.Map.of("r", 3L), state.roomSeqs());
        assertEquals(9L, state.roomSeqFloor());
        assertEquals(java.util.Map.of("alice\nbob", 2L), state.conversationSeqs());
        reopened.close();
    }

    @Test
    void theEpochSurvivesACleanCloseAndChangesAfterACrash() throws Exception {
        Path file = dir.resolve("epoch.db");
        SqliteMessageStore first = new SqliteMessageStore(file);
        String epoch = first.open(RETENTION).epoch();
        first.close();
        SqliteMessageStore second = new SqliteMessageStore(file);
        assertEquals(epoch, second.open(RETENTION).epoch(), "a clean restart keeps the numbering");
        // A crash: the file is left marked in use (here by not closing the store, then opening it again).
        SqliteMessageStore third = new SqliteMessageStore(file);
        String afterCrash = third.open(RETENTION).epoch();
        assertTrue(!afterCrash.equals(epoch), "seqs given out before a crash may be given again: a new epoch");
        third.close();
        second.close();
    }

    @Test
    void aFileFromANewerServerIsRefused() throws Exception {
        Path file = dir.resolve("future.db");
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = db.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)");
            s.execute("INSERT INTO schema_version VALUES (99)");
        }
        StoreException e = assertThrows(StoreException.class, () -> new SqliteMessageStore(file).open(RETENTION));
        assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
    }
}
