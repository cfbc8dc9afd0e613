package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many connections in one room: nothing lost, nothing duplicated, every sender's order kept. */
@Timeout(120)
class ManyClientsLoadTest {

    private static final int CLIENTS = 200;
    private static final int MESSAGES_PER_CLIENT = 50;
    private static final Duration QUIET_LIMIT = Duration.ofSeconds(30);

    @Test
    void everyMemberReceivesEveryMessageExactlyOnceInPerSenderOrder() throws Exception {
        try (TestServer server = TestServer.start(b -> b.maxOutboundBytes(16 * 1024 * 1024))) {
            List<TestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    TestClient client = TestClient.connect(server.port(), "u" + i);
                    client.expect("welcome");
                    clients.add(client);
                }
                // Every client has seen its own join: all are members before anyone sends.
                for (int i = 0; i < CLIENTS; i++) {
                    TestClient client = clients.get(i);
                    String self = "u" + i;
                    while (!client.nextOfType("join").get("user").getAsString().equals(self)) {
                        // skip the notices of earlier joiners
                    }
                }
                List<Thread> senders = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    TestClient client = clients.get(i);
                    Thread sender = new Thread(() -> {
                        for (int n = 0; n < MESSAGES_PER_CLIENT; n++) {
                            client.sendJson("type", "msg", "room", "lobby", "content", Integer.toString(n));
                        }
                    });
                    sender.start();
                    senders.add(sender);
                }
                for (Thread sender : senders) {
                    sender.join(TestClient.TIMEOUT.toMillis());
                }
                for (int i = 0; i < CLIENTS; i++) {
                    int[] nextFromSender = new int[CLIENTS];
                    int expected = (CLIENTS - 1) * MESSAGES_PER_CLIENT;
                    for (int received = 0; received < expected; ) {
                        // Two million frames decoded by the test's own client loops: on a busy machine a client can
                        // wait longer than the usual timeout for its turn, so allow more before calling it lost.
                        JsonObject frame = clients.get(i).poll(QUIET_LIMIT);
                        if (frame == null) {
                            throw new AssertionError("u" + i + " received " + received + " of " + expected
                                    + "; per sender: " + java.util.Arrays.toString(nextFromSender)
                                    + "; server deliveries " + server.chat().stats().deliveries()
                                    + ", room messages " + server.chat().stats().roomMessages());
                        }
                        if (!"msg".equals(frame.get("type").getAsString())) {
                            continue;
                        }
                        int sender = Integer.parseInt(frame.get("from").getAsString().substring(1));
                        int n = Integer.parseInt(frame.get("content").getAsString());
                        assertTrue(sender != i, "a connection got its own message back");
                        assertEquals(nextFromSender[sender], n, "u" + i + " from u" + sender);
                        nextFromSender[sender]++;
                        received++;
                    }
                    for (int s = 0; s < CLIENTS; s++) {
                        assertEquals(s == i ? 0 : MESSAGES_PER_CLIENT, nextFromSender[s]);
                    }
                }
                for (TestClient client : clients) {
                    client.sendJson("type", "ping", "id", "end");
                    for (JsonObject frame = client.next(); !"pong".equals(frame.get("type").getAsString());
                         frame = client.next()) {
                        assertTrue(!"msg".equals(frame.get("type").getAsString()), "duplicate: " + frame);
                    }
                }
                assertEquals(0, server.chat().stats().slowConsumerDisconnects());
            } finally {
                clients.forEach(TestClient::close);
            }
        }
    }
}
