package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.chatd.core.TestClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability contract against the real daemon in its own process: what was acked survives {@code kill -9},
 * and a store that cannot be used stops the start with one clear line and exit status 1.
 */
@Timeout(90)
class DurableStoreTest {

    @TempDir
    Path dir;

    @Test
    void everyAckedMessageSurvivesSigkillAndARestartOnTheSameStore() throws Exception {
        String store = "sqlite:" + dir.resolve("chat.db");
        int privates = 25;
        int burst = 400;
        Map<Long, String> ackedRoom = new HashMap<>();
        List<JsonObject> privateAcks = new ArrayList<>();
        JsonObject firstRoomAck = null;
        Process first = start(store);
        try {
            int port = DaemonProcess.awaitListeningPort(first);
            try (TestClient alice = TestClient.connect(port, "alice")) {
                alice.expect("welcome");
                alice.send("{\"type\":\"join\",\"room\":\"r\"}");
                alice.expect("join");
                for (int i = 1; i <= privates; i++) {
                    alice.sendJson("type", "private", "to", "bob", "content", "dm " + i, "id", "p" + i);
                }
                while (privateAcks.size() < privates) {
                    privateAcks.add(alice.nextOfType("ack"));
                }
                // A burst in flight, and the kill in the middle of it: whatever was acked must survive.
                for (int i = 1; i <= burst; i++) {
                    alice.sendJson("type", "msg", "room", "r", "content", "room " + i, "id", "m" + i);
                }
                while (ackedRoom.size() < burst / 2) {
                    JsonObject ack = alice.nextOfType("ack");
                    firstRoomAck = firstRoomAck == null ? ack : firstRoomAck;
                    ackedRoom.put(ack.get("seq").getAsLong(), "room " + ack.get("id").getAsString().substring(1));
                }
                first.destroyForcibly(); // SIGKILL: no shutdown hook, no final commit
                for (JsonObject ack = alice.poll(Duration.ofMillis(200)); ack != null;
                     ack = alice.poll(Duration.ofMillis(200))) {
                    if ("ack".equals(ack.get("type").getAsString())) { // sent before the kill landed
                        ackedRoom.put(ack.get("seq").getAsLong(), "room " + ack.get("id").getAsString().substring(1));
                    }
                }
            }
        } finally {
            first.destroyForcibly();
            first.waitFor(10, TimeUnit.SECONDS);
        }
        privateAcks.forEach(ack -> assertTrue(ack.get("stored").getAsBoolean(), ack::toString));

        Process second = start(store);
        try {
            int port = DaemonProcess.awaitListeningPort(second);
            try (TestClient bob = TestClient.connect(port, "bob")) {
                bob.expect("welcome");
                for (int i = 1; i <= privates; i++) {
                    JsonObject m = bob.nextOfType("private");
                    assertEquals("dm " + i, m.get("content").getAsString());
                    assertEquals(i, m.get("seq").getAsLong());
                    assertTrue(m.get("stored").getAsBoolean());
                }
            }
            try (TestClient alice = TestClient.connect(port, "alice")) {
                alice.expect("welcome");
                alice.send("{\"type\":\"join\",\"room\":\"r\",\"since\":0}");
                alice.expect("join");
                JsonObject resume = alice.expect("resume");
                assertTrue(resume.get("recovered").getAsBoolean());
                Map<Long, String> stored = new HashMap<>();
                long lastSeq = 0;
                for (int i = 0; i < resume.get("count").getAsInt(); i++) {
                    JsonObject m = alice.expect("msg");
                    assertTrue(m.get("seq").getAsLong() > lastSeq, "in seq order");
                    lastSeq = m.get("seq").getAsLong();
                    stored.put(lastSeq, m.get("content").getAsString());
                }
                for (Map.Entry<Long, String> acked : ackedRoom.entrySet()) {
                    assertEquals(acked.getValue(), stored.get(acked.getKey()), "acked seq " + acked.getKey());
                }
                // A resend after the restart still gets the original ack, and numbering goes on.
                alice.sendJson("type", "msg", "room", "r", "content", "room 1", "id", firstRoomAck.get("id").getAsString());
                assertEquals(firstRoomAck, alice.expect("ack"));
                alice.sendJson("type", "msg", "room", "r", "content", "after", "id", "next");
                assertEquals(lastSeq + 1, alice.expect("ack").get("seq").getAsLong());
                alice.sendJson("type", "private", "to", "bob", "content", "again", "id", "q1");
                assertEquals(privates + 1, alice.expect("ack").get("seq").getAsLong());
            }
        } finally {
            second.destroy();
            second.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClientThatSawSeqsACrashMayHaveLostIsToldRecoveredFalseWhileACleanRestartKeepsTheNumbering()
            throws Exception {
        String store = "sqlite:" + dir.resolve("chat.db");
        long seenBySeq;
        String epoch;
        Process first = start(store);
        try {
            int port = DaemonProcess.awaitListeningPort(first);
            try (TestClient alice = TestClient.connect(port, "alice"); TestClient bob = TestClient.connect(port, "bob")) {
                alice.expect("welcome");
                epoch = bob.expect("welcome").get("epoch").getAsString();
                for (TestClient c : new TestClient[] {alice, bob}) {
                    c.send("{\"type\":\"join\",\"room\":\"r\"}");
                    c.nextOfType("join");
                }
                // Messages are broadcast before their commit: bob sees seqs that the kill may lose, and that the
                // restarted server would then number again.
                for (int i = 1; i <= 400; i++) {
                    alice.sendJson("type", "msg", "room", "r", "content", "m" + i, "id", "m" + i);
                }
                long seen = 0;
                while (seen < 200) {
                    seen = bob.nextOfType("msg").get("seq").getAsLong();
                }
                first.destroyForcibly();
                for (JsonObject m = bob.poll(Duration.ofMillis(200)); m != null; m = bob.poll(Duration.ofMillis(200))) {
                    if ("msg".equals(m.get("type").getAsString())) {
                        seen = m.get("seq").getAsLong();
                    }
                }
                seenBySeq = seen;
            }
        } finally {
            first.destroyForcibly();
            first.waitFor(10, TimeUnit.SECONDS);
        }
        String secondEpoch;
        Process second = start(store);
        try {
            int port = DaemonProcess.awaitListeningPort(second);
            try (TestClient bob = TestClient.connect(port, "bob")) {
                secondEpoch = bob.expect("welcome").get("epoch").getAsString();
                assertNotEquals(epoch, secondEpoch, "a crash starts a new numbering");
                bob.send("{\"type\":\"join\",\"room\":\"r\",\"since\":" + seenBySeq + ",\"epoch\":\"" + epoch + "\"}");
                JsonObject resume = bob.nextOfType("resume");
                assertFalse(resume.get("recovered").getAsBoolean(),
                        "bob saw up to " + seenBySeq + " of the old numbering: " + resume);
                assertEquals(secondEpoch, resume.get("epoch").getAsString());
            }
        } finally {
            second.destroy(); // SIGTERM: a clean stop
            second.waitFor(10, TimeUnit.SECONDS);
        }
        Process third = start(store);
        try {
            int port = DaemonProcess.awaitListeningPort(third);
            try (TestClient bob = TestClient.connect(port, "bob")) {
                assertEquals(secondEpoch, bob.expect("welcome").get("epoch").getAsString(),
                        "a clean restart keeps the numbering, so resumes across it are whole");
            }
        } finally {
            third.destroy();
            third.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCorruptedStoreFileStopsTheStartWithOneLineAndStatusOne() throws Exception {
        Path file = dir.resolve("chat.db");
        Files.write(file, "this is not a database, just some text long enough to fill a header...".repeat(20)
                .getBytes(StandardCharsets.UTF_8));
        assertCleanStartFailure("sqlite:" + file, "cannot open store");
    }

    @Test
    void anUnwritableStorePathStopsTheStartWithOneLineAndStatusOne() throws Exception {
        Path notADirectory = dir.resolve("plain-file");
        Files.writeString(notADirectory, "x");
        // Root can write anywhere, so use a path that cannot exist: a directory inside a regular file.
        assertCleanStartFailure("sqlite:" + notADirectory.resolve("chat.db"), "cannot create the directory");
        Path readOnly = dir.resolve("chat-ro.db");
        Files.writeString(readOnly, "");
        assertTrue(readOnly.toFile().setWritable(false, false));
        if (!Files.isWritable(readOnly)) { // root writes read-only files anyway; other users get this check too
            assertCleanStartFailure("sqlite:" + readOnly, "store");
        }
    }

    private void assertCleanStartFailure(String store, String expected) throws Exception {
        Process process = start(store);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "exits");
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, process.exitValue(), output);
        List<String> errors = output.lines().filter(l -> l.contains("ERROR")).collect(Collectors.toList());
        assertEquals(1, errors.size(), output);
        assertTrue(errors.get(0).contains("could not start: " + expected), output);
        assertFalse(output.contains("Exception"), output);
        assertFalse(output.contains("\tat ") || output.contains("    at "), output);
    }

    private static Process start(String store) throws IOException {
        return DaemonProcess.start(List.of("--host", "127.0.0.1", "--port", "0", "--no-web-client",
                "--default-room", "", "--store", store));
    }
}
