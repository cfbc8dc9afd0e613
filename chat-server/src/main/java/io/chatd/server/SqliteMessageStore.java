package io.chatd.server;

import io.chatd.core.store.MessageStore;
import io.chatd.core.store.PrivateMessage;
import io.chatd.core.store.Retention;
import io.chatd.core.store.RoomMessage;
import io.chatd.core.store.SentId;
import io.chatd.core.store.StoreException;
import io.chatd.core.store.StoreState;
import io.chatd.core.store.WriteBatch;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.sqlite.SQLiteConfig;

/**
 * The daemon's durable store: one SQLite file in WAL mode. chat-core writes from its store thread, through one
 * connection with reused prepared statements; every {@link #write} is one transaction with
 * {@code synchronous=FULL}, so a batch that returned survives a crash of the process or of the machine. History
 * reads come from chat-core's reader thread through a second, read-only connection: in WAL mode it reads the last
 * committed state beside the writer without blocking it.
 *
 * <p>The schema is versioned in {@code schema_version}; {@link #open} applies the migrations the file lacks, in
 * one transaction each, and refuses a file written by a newer server.
 */
public final class SqliteMessageStore implements MessageStore {

    /** Migration {@code i} brings the schema from version {@code i} to {@code i + 1}. */
    private static final List<String[]> MIGRATIONS = List.<String[]>of(
            new String[] {
                "CREATE TABLE room_messages (room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,"
                        + " sender TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID",
                // A room's last seq outlives its pruned messages, so numbering never restarts.
                "CREATE TABLE rooms (name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID",
                "CREATE TABLE private_messages (id INTEGER PRIMARY KEY, recipient TEXT NOT NULL,"
                        + " sender TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, content TEXT NOT NULL)",
                "CREATE INDEX private_messages_by_recipient ON private_messages (recipient, id)",
                "CREATE TABLE conversations (conv TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID",
                "CREATE TABLE client_ids (user TEXT NOT NULL, client_id TEXT NOT NULL, ts INTEGER NOT NULL,"
                        + " seq INTEGER NOT NULL, stored INTEGER NOT NULL, PRIMARY KEY (user, client_id)) WITHOUT ROWID",
            },
            new String[] {
                // What each id sent, so that the same id with other content is refused after a restart too.
                "ALTER TABLE client_ids ADD COLUMN digest INTEGER NOT NULL DEFAULT 0",
            },
            new String[] {
                // 'epoch' names the numbering; 'clean' is 1 only between a close and the next open, so a
                // start that finds 0 knows the last run crashed and may have given out seqs it never stored.
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
            },
            new String[] {
                // Retention deletes by age once a minute on the store thread: without these, each pass scanned
                // every table whole while every sender's ack waited behind it.
                "CREATE INDEX room_messages_by_ts ON room_messages (ts)",
                "CREATE INDEX private_messages_by_ts ON private_messages (ts)",
                "CREATE INDEX client_ids_by_ts ON client_ids (ts)",
            },
            new String[] {
                // When each room and conversation last had a message, so that prune can forget those that fell
                // silent (see MessageStore.prune); made-up names would otherwise stay, and load, forever.
                "ALTER TABLE rooms ADD COLUMN ts INTEGER NOT NULL DEFAULT 0",
                "UPDATE rooms SET ts = coalesce((SELECT max(ts) FROM room_messages WHERE room = rooms.name), 0)",
                "CREATE INDEX rooms_by_ts ON rooms (ts)",
                // Conversations kept no time: they count as active from the upgrade on.
                "ALTER TABLE conversations ADD COLUMN ts INTEGER NOT NULL DEFAULT 0",
                "UPDATE conversations SET ts = CAST(unixepoch('subsec') * 1000 AS INTEGER)",
                "CREATE INDEX conversations_by_ts ON conversations (ts)",
                // The per-sender counts of waiting messages, read after every prune.
                "CREATE INDEX private_messages_by_sender ON private_messages (sender)",
            });

    private static final String ROOM_FLOOR = "room_seq_floor";
    private static final String CONVERSATION_FLOOR = "conversation_seq_floor";

    private final Path path;
    private Connection db;
    /** The reader thread's connection; only {@link #roomMessages} uses it. */
    private Connection readDb;
    /** Set once the file is open and marked in use, so that only such a file is marked clean on close. */
    private boolean opened;
    private Retention retention;
    private PreparedStatement insertRoomMessage;
    private PreparedStatement upsertRoom;
    private PreparedStatement trimRoom;
    private PreparedStatement insertPrivate;
    private PreparedStatement trimInbox;
    private PreparedStatement deletePrivate;
    private PreparedStatement upsertConversation;
    private PreparedStatement insertClientId;
    private PreparedStatement selectRoomMessages;
    private PreparedStatement selectUndelivered;

    public SqliteMessageStore(Path path) {
        this.path = path;
    }

    /** The file this store keeps its data in. */
    public Path path() {
        return path;
    }

    @Override
    public StoreState open(Retention retention) {
        this.retention = retention;
        Path absolute = path.toAbsolutePath();
        try {
            Path parent = absolute.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (FileAlreadyExistsException e) {
            throw new StoreException("cannot create the directory of store " + path + ": " + e.getFile()
                    + " exists and is not a directory");
        } catch (AccessDeniedException e) {
            throw new StoreException("cannot create the directory of store " + path + ": permission denied on "
                    + e.getFile());
        } catch (IOException e) {
            throw new StoreException("cannot create the directory of store " + path + ": " + describe(e));
        }
        if (Files.exists(absolute) && (!Files.isRegularFile(absolute) || !Files.isWritable(absolute))) {
            throw new StoreException("store " + path + " is not a writable file");
        }
        if (absolute.getParent() != null && !Files.isWritable(absolute.getParent())) {
            // WAL mode creates -wal and -shm files beside the database.
            throw new StoreException("store directory " + absolute.getParent() + " is not writable");
        }
        try {
            db = DriverManager.getConnection("jdbc:sqlite:" + absolute);
            try (Statement s = db.createStatement()) {
                // The first read of the file: a file that is not a database fails here.
                try (ResultSet rs = s.executeQuery("PRAGMA journal_mode=WAL")) {
                    if (!rs.next() || !"wal".equalsIgnoreCase(rs.getString(1))) {
                        throw new StoreException("store " + path + " could not switch to WAL mode");
                    }
                }
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=OFF");
            }
            migrate();
            prepare();
            SQLiteConfig readOnly = new SQLiteConfig();
            readOnly.setReadOnly(true);
            readDb = DriverManager.getConnection("jdbc:sqlite:" + absolute, readOnly.toProperties());
            selectRoomMessages = readDb.prepareStatement("SELECT seq, ts, sender, content FROM room_messages"
                    + " WHERE room = ? AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?");
            String epoch = takeEpoch();
            StoreState state = loadState();
            return new StoreState(state.roomSeqs(), state.conversationSeqs(), state.lastPrivateId(),
                    state.recentIds(), epoch, state.roomSeqFloor(), state.conversationSeqFloor());
        } catch (SQLException e) {
            close();
            throw new StoreException("cannot open store " + path + ": " + describe(e));
        } catch (StoreException e) {
            close();
            throw e;
        }
    }

    private void migrate() throws SQLException {
        int version;
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            try (ResultSet rs = s.executeQuery("SELECT max(version) FROM schema_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
        }
        if (version > MIGRATIONS.size()) {
            throw new StoreException("store " + path + " has schema version " + version
                    + ", newer than this server's " + MIGRATIONS.size());
        }
        for (int v = version; v < MIGRATIONS.size(); v++) {
            int from = v;
            inTransaction(() -> {
                try (Statement s = db.createStatement()) {
                    for (String sql : MIGRATIONS.get(from)) {
                        s.execute(sql);
                    }
                    s.execute("DELETE FROM schema_version");
                    s.execute("INSERT INTO schema_version (version) VALUES (" + (from + 1) + ")");
                }
            });
        }
    }

    /** Work against {@link #db} that throws what JDBC throws. */
    private interface SqlWork {
        void run() throws SQLException;
    }

    /** Runs {@code work} as one transaction: committed when it returns, rolled back when it throws. */
    private void inTransaction(SqlWork work) throws SQLException {
        db.setAutoCommit(false);
        try {
            work.run();
            db.commit();
        } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }

    private void prepare() throws SQLException {
        insertRoomMessage = db.prepareStatement(
                "INSERT OR REPLACE INTO room_messages (room, seq, ts, sender, content) VALUES (?, ?, ?, ?, ?)");
        upsertRoom = db.prepareStatement("INSERT INTO rooms (name, last_seq, ts) VALUES (?, ?, ?)"
                + " ON CONFLICT (name) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq),"
                + " ts = max(ts, excluded.ts)");
        trimRoom = db.prepareStatement("DELETE FROM room_messages WHERE room = ? AND seq <= ?");
        insertPrivate = db.prepareStatement("INSERT OR REPLACE INTO private_messages"
                + " (id, recipient, sender, seq, ts, content) VALUES (?, ?, ?, ?, ?, ?)");
        trimInbox = db.prepareStatement("DELETE FROM private_messages WHERE recipient = ? AND id <= (SELECT id FROM"
                + " private_messages WHERE recipient = ? ORDER BY id DESC LIMIT 1 OFFSET ?)");
        deletePrivate = db.prepareStatement("DELETE FROM private_messages WHERE id = ?");
        upsertConversation = db.prepareStatement("INSERT INTO conversations (conv, last_seq, ts) VALUES (?, ?, ?)"
                + " ON CONFLICT (conv) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq),"
                + " ts = max(ts, excluded.ts)");
        insertClientId = db.prepareStatement("INSERT OR REPLACE INTO client_ids (user, client_id, ts, seq, stored,"
                + " digest) VALUES (?, ?, ?, ?, ?, ?)");
        selectUndelivered = db.prepareStatement("SELECT id, sender, seq, ts, content FROM private_messages"
                + " WHERE recipient = ? ORDER BY id LIMIT ?");
    }

    private StoreState loadState() throws SQLException {
        Map<String, Long> roomSeqs = new HashMap<>();
        Map<String, Long> conversationSeqs = new HashMap<>();
        long lastPrivateId;
        List<SentId> recent = new ArrayList<>();
        try (Statement s = db.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT name, last_seq FROM rooms")) {
                while (rs.next()) {
                    roomSeqs.put(rs.getString(1), rs.getLong(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT conv, last_seq FROM conversations")) {
                while (rs.next()) {
                    conversationSeqs.put(rs.getString(1), rs.getLong(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT coalesce(max(id), 0) FROM private_messages")) {
                lastPrivateId = rs.next() ? rs.getLong(1) : 0;
            }
        }
        try (PreparedStatement p = db.prepareStatement(
                "SELECT user, client_id, ts, seq, stored, digest FROM client_ids WHERE ts >= ? ORDER BY ts")) {
            p.setLong(1, System.currentTimeMillis() - retention.dedupWindow().toMillis());
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    recent.add(new SentId(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                            rs.getInt(5) != 0, rs.getLong(6)));
                }
            }
        }
        return new StoreState(roomSeqs, conversationSeqs, lastPrivateId, recent, null, readFloor(ROOM_FLOOR),
                readFloor(CONVERSATION_FLOOR));
    }

    private long readFloor(String key) throws SQLException {
        try (PreparedStatement p = db.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            p.setString(1, key);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? Long.parseLong(rs.getString(1)) : 0;
            }
        }
    }

    @Override
    public void write(WriteBatch batch) {
        try {
            inTransaction(() -> {
                writeRooms(batch);
                writePrivates(batch);
                long now = System.currentTimeMillis();
                for (Map.Entry<String, Long> e : batch.conversationSeqs.entrySet()) {
                    upsertConversation.setString(1, e.getKey());
                    upsertConversation.setLong(2, e.getValue());
                    upsertConversation.setLong(3, now);
                    upsertConversation.addBatch();
                }
                upsertConversation.executeBatch();
                for (SentId sent : batch.sentIds) {
                    insertClientId.setString(1, sent.user());
                    insertClientId.setString(2, sent.clientId());
                    insertClientId.setLong(3, sent.ts());
                    insertClientId.setLong(4, sent.seq());
                    insertClientId.setInt(5, sent.stored() ? 1 : 0);
                    insertClientId.setLong(6, sent.digest());
                    insertClientId.addBatch();
                }
                insertClientId.executeBatch();
            });
        } catch (SQLException e) {
            throw new StoreException("store " + path + ": write failed: " + describe(e), e);
        }
    }

    private void writeRooms(WriteBatch batch) throws SQLException {
        Map<String, Long> lastSeqs = new HashMap<>();
        Map<String, Long> lastTs = new HashMap<>();
        for (RoomMessage m : batch.roomMessages) {
            insertRoomMessage.setString(1, m.room());
            insertRoomMessage.setLong(2, m.seq());
            insertRoomMessage.setLong(3, m.ts());
            insertRoomMessage.setString(4, m.from());
            insertRoomMessage.setString(5, m.content());
            insertRoomMessage.addBatch();
            lastSeqs.merge(m.room(), m.seq(), Math::max);
            lastTs.merge(m.room(), m.ts(), Math::max);
        }
        insertRoomMessage.executeBatch();
        for (Map.Entry<String, Long> e : lastSeqs.entrySet()) {
            upsertRoom.setString(1, e.getKey());
            upsertRoom.setLong(2, e.getValue());
            upsertRoom.setLong(3, lastTs.get(e.getKey()));
            upsertRoom.addBatch();
            // Keep the newest historySize: one range delete on the primary key per room and batch.
            trimRoom.setString(1, e.getKey());
            trimRoom.setLong(2, e.getValue() - retention.historySize());
            trimRoom.addBatch();
        }
        upsertRoom.executeBatch();
        trimRoom.executeBatch();
    }

    private void writePrivates(WriteBatch batch) throws SQLException {
        Set<String> recipients = new HashSet<>();
        for (PrivateMessage m : batch.offlineMessages) {
            insertPrivate.setLong(1, m.id());
            insertPrivate.setString(2, m.to());
            insertPrivate.setString(3, m.from());
            insertPrivate.setLong(4, m.seq());
            insertPrivate.setLong(5, m.ts());
            insertPrivate.setString(6, m.content());
            insertPrivate.addBatch();
            recipients.add(m.to());
        }
        insertPrivate.executeBatch();
        for (String recipient : recipients) {
            // Over the cap, the oldest undelivered messages go first.
            trimInbox.setString(1, recipient);
            trimInbox.setString(2, recipient);
            trimInbox.setInt(3, retention.offlineMaxPerUser());
            trimInbox.addBatch();
        }
        trimInbox.executeBatch();
        for (long id : batch.delivered) {
            deletePrivate.setLong(1, id);
            deletePrivate.addBatch();
        }
        deletePrivate.executeBatch();
    }

    @Override
    public List<RoomMessage> roomMessages(String room, long afterSeq, long beforeSeq, int limit) {
        try {
            selectRoomMessages.setString(1, room);
            selectRoomMessages.setLong(2, afterSeq);
            selectRoomMessages.setLong(3, beforeSeq);
            selectRoomMessages.setInt(4, limit);
            List<RoomMessage> newestFirst = new ArrayList<>();
            try (ResultSet rs = selectRoomMessages.executeQuery()) {
                while (rs.next()) {
                    newestFirst.add(new RoomMessage(room, rs.getLong(1), rs.getLong(2), rs.getString(3),
                            rs.getString(4)));
                }
            }
            Collections.reverse(newestFirst);
            return newestFirst;
        } catch (SQLException e) {
            throw new StoreException("store " + path + ": history read failed: " + describe(e), e);
        }
    }

    @Override
    public List<PrivateMessage> undelivered(String user, int limit) {
        try {
            selectUndelivered.setString(1, user);
            selectUndelivered.setInt(2, limit);
            List<PrivateMessage> messages = new ArrayList<>();
            try (ResultSet rs = selectUndelivered.executeQuery()) {
                while (rs.next()) {
                    messages.add(new PrivateMessage(rs.getLong(1), rs.getString(2), user, rs.getLong(3),
                            rs.getLong(4), rs.getString(5)));
                }
            }
            return messages;
        } catch (SQLException e) {
            throw new StoreException("store " + path + ": offline read failed: " + describe(e), e);
        }
    }

    @Override
    public void prune(long nowMillis) {
        long historyCutoff = nowMillis - retention.historyTtl().toMillis();
        long offlineCutoff = nowMillis - retention.offlineTtl().toMillis();
        try (PreparedStatement rooms = db.prepareStatement("DELETE FROM room_messages WHERE ts < ?");
             PreparedStatement inboxes = db.prepareStatement("DELETE FROM private_messages WHERE ts < ?");
             PreparedStatement ids = db.prepareStatement("DELETE FROM client_ids WHERE ts < ?")) {
            inTransaction(() -> {
                rooms.setLong(1, historyCutoff);
                rooms.executeUpdate();
                inboxes.setLong(1, offlineCutoff);
                inboxes.executeUpdate();
                ids.setLong(1, nowMillis - retention.dedupWindow().toMillis());
                ids.executeUpdate();
                // A room silent for the history TTL has no message left, a conversation silent for the offline
                // TTL none stored: forget their numbering, above the floor a returning name continues from.
                forgetSilent("rooms", ROOM_FLOOR, historyCutoff);
                forgetSilent("conversations", CONVERSATION_FLOOR, offlineCutoff);
            });
        } catch (SQLException e) {
            throw new StoreException("store " + path + ": prune failed: " + describe(e), e);
        }
    }

    /** Deletes the rows of {@code table} last written before {@code cutoff}, raising the floor to their seqs. */
    private void forgetSilent(String table, String floorKey, long cutoff) throws SQLException {
        try (PreparedStatement raise = db.prepareStatement("INSERT INTO meta (key, value) SELECT ?, max(last_seq)"
                + " FROM " + table + " WHERE ts < ? HAVING count(*) > 0 ON CONFLICT (key) DO UPDATE SET value ="
                + " max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))");
             PreparedStatement forget = db.prepareStatement("DELETE FROM " + table + " WHERE ts < ?")) {
            raise.setString(1, floorKey);
            raise.setLong(2, cutoff);
            raise.executeUpdate();
            forget.setLong(1, cutoff);
            forget.executeUpdate();
        }
    }

    @Override
    public Map<String, Integer> undeliveredBySender() {
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT sender, count(*) FROM private_messages GROUP BY sender")) {
            Map<String, Integer> counts = new HashMap<>();
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getInt(2));
            }
            return counts;
        } catch (SQLException e) {
            throw new StoreException("store " + path + ": offline count failed: " + describe(e), e);
        }
    }

    @Override
    public Optional<Set<String>> undeliveredRecipients() {
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT DISTINCT recipient FROM private_messages")) {
            Set<String> recipients = new HashSet<>();
            while (rs.next()) {
                recipients.add(rs.getString(1));
            }
            return Optional.of(recipients);
        } catch (SQLException e) {
            throw new StoreException("store " + path + ": offline recipients read failed: " + describe(e), e);
        }
    }

    /**
     * The epoch of this run: the last one when the previous run closed cleanly (every seq it gave out was
     * committed), a new one after a crash. Marks the file as in use until {@link #close}.
     */
    private String takeEpoch() throws SQLException {
        String epoch = null;
        boolean clean = false;
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT key, value FROM meta WHERE key IN ('epoch', 'clean')")) {
            while (rs.next()) {
                if (rs.getString(1).equals("epoch")) {
                    epoch = rs.getString(2);
                } else {
                    clean = rs.getString(2).equals("1");
                }
            }
        }
        if (epoch == null || !clean) {
            epoch = StoreState.newEpoch();
        }
        try (PreparedStatement p = db.prepareStatement(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('epoch', ?), ('clean', '0')")) {
            p.setString(1, epoch);
            p.executeUpdate();
        }
        opened = true;
        return epoch;
    }

    @Override
    public void close() {
        if (db != null && opened) {
            // Every batch was committed or reported failed before close: the numbering can be trusted again.
            try (Statement s = db.createStatement()) {
                s.executeUpdate("UPDATE meta SET value = '1' WHERE key = 'clean'");
            } catch (SQLException e) {
                // The next start takes a new epoch: clients resume with recovered:false, nothing is lost.
            }
        }
        if (readDb != null) {
            try {
                readDb.close();
            } catch (SQLException e) {
                // A read-only connection has nothing to save.
            }
            readDb = null;
        }
        if (db != null) {
            try {
                db.close(); // closes the prepared statements too, and checkpoints the WAL
            } catch (SQLException e) {
                // Nothing left to save: every batch was committed or reported as failed.
            }
            db = null;
        }
    }

    /** The cause in one line, without the driver's class names. */
    private static String describe(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replaceAll("[\\r\\n]+", " ").trim();
    }
}
