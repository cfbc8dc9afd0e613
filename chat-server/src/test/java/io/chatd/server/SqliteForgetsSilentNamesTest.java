package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.chatd.core.MadeUpNames;
import io.chatd.core.TestClient;
import io.chatd.core.TestServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Made-up room and user names leave the SQLite file as they came once the retention passed: the rows of their
 * messages and of their numbering go, so the file (and what a start loads from it) stays bounded.
 */
class SqliteForgetsSilentNamesTest {

    private static final Duration TTL = Duration.ofMillis(1500);

    @TempDir
    Path dir;

    @Test
    void roomsAndRecipientsMadeUpByAClientLeaveNoRowsAfterTheRetention() throws Exception {
        Path file = dir.resolve("chat.db");
        int names = 20_000;
        int perSenderCap = 500;
        try (TestServer server = TestServer.start(b -> b.defaultRoom("").store(() -> new SqliteMessageStore(file))
                .historyTtl(TTL).offlineTtl(TTL).offlineMaxPerSender(perSenderCap)
                .pruneInterval(Duration.ofMillis(200)));
             TestClient mallory = TestClient.connect(server.port(), "mallory")) {
            mallory.expect("welcome");
            MadeUpNames.create(mallory, names);
            assertTrue(count(file, "private_messages") <= perSenderCap, "one sender stores at most its cap");

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String[] tables = {"rooms", "room_messages", "conversations", "private_messages"};
            while (total(file, tables) > 0) {
                assertTrue(System.nanoTime() < deadline, () -> "rows left: " + describe(file, tables));
                Thread.sleep(100);
            }
            assertEquals(0, server.chat().roomCount());
        }
    }

    private static long total(Path file, String[] tables) throws SQLException {
        long rows = 0;
        for (String table : tables) {
            rows += count(file, table);
        }
        return rows;
    }

    private static String describe(Path file, String[] tables) {
        StringBuilder s = new StringBuilder();
        for (String table : tables) {
            try {
                s.append(table).append('=').append(count(file, table)).append(' ');
            } catch (SQLException e) {
                s.append(table).append(": ").append(e.getMessage()).append(' ');
            }
        }
        return s.toString();
    }

    /** Rows of {@code table}, read through a connection of our own: WAL lets it read beside the server's. */
    private static long count(Path file, String table) throws SQLException {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
