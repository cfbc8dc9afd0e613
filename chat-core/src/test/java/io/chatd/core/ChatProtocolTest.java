package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The chat protocol end to end, over real sockets. */
@Timeout(30)
class ChatProtocolTest {

    private static final Duration QUIET = Duration.ofMillis(300);

    private TestServer server;

    @BeforeEach
    void startServer() {
        server = TestServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    /** Connects and consumes the welcome and the default room's join notice. */
    private TestClient connect(String user) {
        TestClient client = TestClient.connect(server.port(), user);
        client.expect("welcome");
        JsonObject join = client.expect("join");
        assertEquals(user, join.get("user").getAsString());
        return client;
    }

    @Test
    void welcomeNamesTheUserTheConnectionAndTheDefaultRoom() {
        try (TestClient alice = TestClient.connect(server.port(), "alice")) {
            JsonObject welcome = alice.expect("welcome");
            assertEquals("alice", welcome.get("user").getAsString());
            String session = welcome.get("session").getAsString();
            assertTrue(session.matches("[A-Za-z0-9_-]{16}"), session);
            assertEquals(List.of("lobby"), strings(welcome.getAsJsonArray("rooms")));
            JsonObject join = alice.expect("join");
            assertEquals("lobby", join.get("room").getAsString());
            assertTrue(join.get("ts").getAsLong() > 0);
            try (TestClient secondTab = TestClient.connect(server.port(), "alice")) {
                String other = secondTab.expect("welcome").get("session").getAsString();
                assertNotEquals(session, other, "a second connection of the same user has its own session");
            }
        }
    }

    @Test
    void roomMessageReachesEveryConnectionButTheSendingOne() {
        try (TestClient alice1 = connect("alice"); TestClient alice2 = TestClient.connect(server.port(), "alice");
             TestClient bob = connect("bob")) {
            alice2.expect("welcome");
            alice2.expect("join"); // a second connection of alice only tells itself
            alice1.drain(QUIET);
            alice1.sendJson("type", "msg", "room", "lobby", "content", "hi <b>all</b>", "id", "c1");

            JsonObject ack = alice1.expect("ack");
            assertEquals("c1", ack.get("id").getAsString());
            for (TestClient receiver : List.of(alice2, bob)) {
                JsonObject msg = receiver.nextOfType("msg");
                assertEquals("lobby", msg.get("room").getAsString());
                assertEquals("alice", msg.get("from").getAsString());
                assertEquals("hi <b>all</b>", msg.get("content").getAsString());
                assertEquals(ack.get("seq").getAsLong(), msg.get("seq").getAsLong());
                assertEquals(ack.get("ts").getAsLong(), msg.get("ts").getAsLong());
                assertFalse(msg.has("id"), "the client id is only for the sender");
            }
            alice1.expectNothing(QUIET);
        }
    }

    @Test
    void roomSeqIncreasesStrictly() {
        try (TestClient alice = connect("alice"); TestClient bob = connect("bob")) {
            alice.drain(QUIET);
            long previous = 0;
            for (int i = 0; i < 20; i++) {
                alice.sendJson("type", "msg", "room", "lobby", "content", "m" + i);
                long seq = bob.nextOfType("msg").get("seq").getAsLong();
                assertTrue(seq > previous, "seq " + seq + " after " + previous);
                previous = seq;
            }
        }
    }

    @Test
    void joinAndLeaveNoticesReachTheJoinerAndTheOthers() {
        try (TestClient alice = connect("alice"); TestClient bob = connect("bob")) {
            alice.drain(QUIET);
            bob.sendJson("type", "join", "room", "dev");
            assertNotice(bob.expect("join"), "dev", "bob");
            alice.sendJson("type", "join", "room", "dev");
            assertNotice(alice.expect("join"), "dev", "alice");
            assertNotice(bob.expect("join"), "dev", "alice");

            alice.sendJson("type", "who", "room", "dev");
            assertEquals(List.of("alice", "bob"), strings(alice.expect("who").getAsJsonArray("users")));

            alice.sendJson("type", "leave", "room", "dev");
            assertNotice(alice.expect("leave"), "dev", "alice");
            assertNotice(bob.expect("leave"), "dev", "alice");

            alice.sendJson("type", "msg", "room", "dev", "content", "still here?", "id", "x");
            JsonObject error = alice.expect("error");
            assertEquals("not_in_room", error.get("code").getAsString());
            assertEquals("x", error.get("id").getAsString());
        }
    }

    @Test
    void closingTheLastConnectionOfAUserSendsLeave() {
        try (TestClient alice = connect("alice")) {
            TestClient bob = connect("bob");
            alice.drain(QUIET);
            bob.close();
            assertNotice(alice.expect("leave"), "lobby", "bob");
        }
    }

    @Test
    void privateMessageReachesTheOnlineRecipientOnly() {
        try (TestClient alice = connect("alice"); TestClient bob = connect("bob"); TestClient carol = connect("carol")) {
            alice.drain(QUIET);
            bob.drain(QUIET);
            alice.sendJson("type", "private", "to", "bob", "content", "psst", "id", "p1");
            JsonObject ack = alice.expect("ack");
            assertEquals("p1", ack.get("id").getAsString());
            assertEquals(1, ack.get("seq").getAsLong(), "first message of the alice-bob conversation");
            assertFalse(ack.has("stored"));
            JsonObject msg = bob.expect("private");
            assertEquals(1, msg.get("seq").getAsLong());
            assertEquals("alice", msg.get("from").getAsString());
            assertEquals("bob", msg.get("to").getAsString());
            assertEquals("psst", msg.get("content").getAsString());
            assertEquals(ack.get("ts").getAsLong(), msg.get("ts").getAsLong());
            carol.drain(QUIET).forEach(f -> assertFalse("private".equals(f.get("type").getAsString()), f::toString));
        }
    }

    @Test
    void privateMessageReachesEveryConnectionOfTheRecipient() {
        try (TestClient alice = connect("alice"); TestClient bob1 = connect("bob");
             TestClient bob2 = TestClient.connect(server.port(), "bob")) {
            bob2.expect("welcome");
            alice.sendJson("type", "private", "to", "bob", "content", "both of you");
            assertEquals("both of you", bob1.nextOfType("private").get("content").getAsString());
            assertEquals("both of you", bob2.nextOfType("private").get("content").getAsString());
        }
    }

    @Test
    void privateMessageToAnOfflineUserGetsUserOfflineWhenStorageIsOff() {
        try (TestServer noStorage = TestServer.start(b -> b.offlineMaxPerUser(0));
             TestClient alice = TestClient.connect(noStorage.port(), "alice")) {
            alice.sendJson("type", "private", "to", "nobody", "content", "hello?", "id", "p9");
            JsonObject error = alice.nextOfType("error");
            assertEquals("user_offline", error.get("code").getAsString());
            assertEquals("p9", error.get("id").getAsString());
        }
    }

    @Test
    void userWithTwoConnectionsKeepsReceivingAfterTheFirstCloses() {
        try (TestClient alice = connect("alice"); TestClient bob2 = connect("bob")) {
            TestClient bob1 = TestClient.connect(server.port(), "bob");
            bob1.expect("welcome");
            alice.drain(QUIET);
            bob1.close();
            alice.expectNothing(QUIET); // bob is still present: no leave notice
            alice.sendJson("type", "msg", "room", "lobby", "content", "room");
            assertEquals("room", bob2.nextOfType("msg").get("content").getAsString());
            alice.sendJson("type", "private", "to", "bob", "content", "direct");
            assertEquals("direct", bob2.nextOfType("private").get("content").getAsString());
        }
    }

    @Test
    void badRequestsGetErrorsAndTheConnectionKeepsWorking() {
        try (TestClient alice = connect("alice"); TestClient bob = connect("bob")) {
            alice.drain(QUIET);
            alice.send("{not json");
            assertError(alice.expect("error"), "bad_json", null);
            alice.send("[1,2]");
            assertError(alice.expect("error"), "bad_json", null);
            alice.send("{\"type\":\"dance\",\"id\":\"d1\"}");
            assertError(alice.expect("error"), "unknown_type", "d1");
            alice.send("{\"type\":\"msg\",\"content\":\"no room\",\"id\":\"m1\"}");
            assertError(alice.expect("error"), "invalid", "m1");
            alice.send("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":42}");
            assertError(alice.expect("error"), "invalid", null);
            alice.send("{\"type\":\"join\",\"room\":\"no spaces allowed\"}");
            assertError(alice.expect("error"), "invalid", null);
            alice.send("{\"type\":\"msg\",\"room\":\"lobby\",\"content\":\"" + "x".repeat(4097) + "\",\"id\":\"long\"}");
            assertError(alice.expect("error"), "too_long", "long");

            bob.drain(QUIET);
            alice.sendJson("type", "msg", "room", "lobby", "content", "still fine", "id", "ok");
            alice.expect("ack");
            assertEquals("still fine", bob.expect("msg").get("content").getAsString());
            alice.sendJson("type", "ping", "id", "p");
            assertEquals("p", alice.expect("pong").get("id").getAsString());
        }
    }

    @Test
    void messagesFromOneConnectionArriveInTheOrderSent() {
        try (TestClient alice = connect("alice"); TestClient bob = connect("bob")) {
            alice.drain(QUIET);
            for (int i = 0; i < 500; i++) {
                alice.sendJson("type", "msg", "room", "lobby", "content", Integer.toString(i));
            }
            for (int i = 0; i < 500; i++) {
                assertEquals(Integer.toString(i), bob.nextOfType("msg").get("content").getAsString());
            }
        }
    }

    private static void assertNotice(JsonObject notice, String room, String user) {
        assertEquals(room, notice.get("room").getAsString(), notice::toString);
        assertEquals(user, notice.get("user").getAsString(), notice::toString);
        assertTrue(notice.get("ts").getAsLong() > 0);
    }

    private static void assertError(JsonObject error, String code, String id) {
        assertEquals(code, error.get("code").getAsString(), error::toString);
        assertFalse(error.get("message").getAsString().isEmpty());
        if (id == null) {
            assertFalse(error.has("id"), error::toString);
        } else {
            assertEquals(id, error.get("id").getAsString());
        }
    }

    private static List<String> strings(JsonArray array) {
        return array.asList().stream().map(e -> e.getAsString()).toList();
    }
}
