package io.chatd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.chatd.core.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --url} with several servers, as for the nodes of a cluster: chat-bench's command line against real
 * servers over loopback. The servers here are independent (no shared engine), so these tests check where the
 * connections go; traffic is checked over two URLs of one server.
 */
@Timeout(120)
class SeveralUrlsTest {

    private static BenchCli.Result bench(String... args) {
        return BenchCli.run(args);
    }

    private static String url(TestServer s) {
        return "ws://127.0.0.1:" + s.port() + "/ws";
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    @Test
    void connectionsAreSpreadOverThreeServersRoundRobin() {
        try (TestServer a = TestServer.start(b -> b.defaultRoom(""));
             TestServer b = TestServer.start(x -> x.defaultRoom(""));
             TestServer c = TestServer.start(x -> x.defaultRoom(""))) {
            BenchCli.Result r = bench("idle", "--connections", "91", "--duration", "100ms",
                    "--url", url(a) + "," + url(b) + "," + url(c));
            assertEquals(BenchRun.EXIT_OK, r.status(), r.out());
            JsonObject j = r.report();
            assertEquals(3, j.get("url_count").getAsInt());
            assertEquals(url(a) + "," + url(b) + "," + url(c), j.get("url").getAsString());
            assertEquals(91, j.get("connected").getAsInt());
            assertEquals("[31, 30, 30]", java.util.Arrays.toString(ints(j.getAsJsonArray("ready_per_url"))));
            // What each server saw: connections 0, 3, 6 ... on the first, 1, 4, 7 ... on the second.
            assertEquals(31, a.chat().stats().connectionsOpened());
            assertEquals(30, b.chat().stats().connectionsOpened());
            assertEquals(30, c.chat().stats().connectionsOpened());
        }
    }

    @Test
    void stormClientsAreSpreadOverTwoServersInEveryRound() {
        try (TestServer a = TestServer.start(); TestServer b = TestServer.start()) {
            BenchCli.Result r = bench("storm", "--connections", "100", "--rounds", "2", "--settle", "0",
                    "--url", url(a) + "," + url(b));
            assertEquals(BenchRun.EXIT_OK, r.status(), r.out());
            assertEquals(2, r.report().get("url_count").getAsInt());
            for (var round : r.report().getAsJsonArray("rounds")) {
                assertEquals(100, round.getAsJsonObject().get("up").getAsInt(), r.out());
            }
            // Two rounds of 50 each: a client comes back to the server it had.
            assertEquals(100, a.chat().stats().connectionsOpened());
            assertEquals(100, b.chat().stats().connectionsOpened());
        }
    }

    @Test
    void fanOutOverTwoUrlsLosesNothingAndSumsServerAndExtraCpu() {
        try (TestServer s = TestServer.start(b -> b.defaultRoom(""))) {
            String self = String.valueOf(ProcessHandle.current().pid()); // the server runs in this JVM
            // The same server twice: senders 0 and 2 use the first URL, sender 1 and half the receivers the second.
            BenchCli.Result r = bench("fanout", "--connections", "60", "--senders", "3", "--rate", "100",
                    "--warmup", "300ms", "--duration", "1s", "--url", url(s) + ", " + url(s),
                    "--server-pid", self, "--extra-pid", self);
            assertEquals(BenchRun.EXIT_OK, r.status(), r.out());
            JsonObject j = r.report();
            assertEquals(2, j.get("url_count").getAsInt());
            assertEquals("[30, 30]", java.util.Arrays.toString(ints(j.getAsJsonArray("ready_per_url"))));
            assertTrue(j.get("expected").getAsLong() > 0, r.out());
            assertEquals(0.0, j.get("loss_pct").getAsDouble(), r.out());
            assertEquals(0, j.get("duplicates").getAsLong());
            assertTrue(j.get("p50_ms").getAsDouble() >= 0);
            double extra = j.get("extra_cpu_s").getAsDouble();
            assertTrue(extra > 0, r.out());
            // Server and extra are one process here: the sum counts it twice.
            assertEquals(2 * extra, j.get("server_cpu_s").getAsDouble(), 0.05, r.out());
            assertTrue(j.getAsJsonArray("server_pids").size() == 1 && j.getAsJsonArray("extra_pids").size() == 1);
        }
    }
}
