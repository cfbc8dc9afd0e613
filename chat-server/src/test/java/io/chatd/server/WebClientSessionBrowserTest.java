package io.chatd.server;

import static io.chatd.server.Browser.message;
import static io.chatd.server.Browser.notice;
import static io.chatd.server.Browser.present;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.ChatConfig;
import io.chatd.core.TestClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import picocli.CommandLine;

/**
 * The web client used the way people use a chat app: joining a room with a past, reloading the page, private
 * conversations with someone offline, a phone-width window, a server restart. Headless Chromium, as in
 * {@link WebClientBrowserTest}.
 */
@Timeout(60)
class WebClientSessionBrowserTest {

    private static Browser alice;
    private static Browser bob;

    private ChatServer server;
    private String url;

    @BeforeAll
    static void startBrowsers() throws IOException {
        Browser.requireChromium();
        alice = new Browser("alice");
        bob = new Browser("bob");
    }

    @AfterAll
    static void quitBrowsers() {
        Browser.quitAll(alice, bob);
    }

    @BeforeEach
    void startServer() throws Exception {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--host", "127.0.0.1", "--port", "0", "--store", "memory");
        server = ChatServer.start(main.toChatConfig(), "127.0.0.1", 0, 2);
        url = "http://127.0.0.1:" + server.port() + "/";
    }

    @AfterEach
    void stopServer() {
        try {
            alice.resize(1280, 900);
            alice.leavePage();
            bob.leavePage();
        } finally {
            if (server != null) {
                server.shutdown(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void aNewMemberSeesTheRecentHistoryAndCanLoadOlderMessages() {
        try (TestClient carol = TestClient.connect(server.port(), "carol")) {
            carol.expect("welcome");
            for (int i = 1; i <= 70; i++) {
                carol.sendJson("type", "msg", "room", "lobby", "content", "old " + i, "id", "h" + i);
                carol.nextOfType("ack");
            }
            alice.logIn(url);
            alice.await("the newest history page", d -> message(d, "#log li.msg", "carol", "old 70"));
            List<String> shown = alice.contents("#log li.msg");
            assertEquals(50, shown.size(), "one page of history: " + shown);
            assertEquals("old 21", shown.get(0));
            // History comes before the reader's own join notice, in order.
            assertTrue(notice(alice.driver(), "join", "alice"));
            alice.click("load-older");
            alice.await("the older page", d -> message(d, "#log li.msg", "carol", "old 1"));
            List<String> all = alice.contents("#log li.msg");
            assertEquals(70, all.size());
            for (int i = 0; i < 70; i++) {
                assertEquals("old " + (i + 1), all.get(i));
            }
            alice.await("no more to load", d -> !d.findElement(By.id("load-older")).isDisplayed());
        }
    }

    @Test
    void aRoomPastThePresenceBoundShowsItsMemberCountAndGatheredArrivals() throws Exception {
        server.shutdown(Duration.ofSeconds(5));
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--host", "127.0.0.1", "--port", "0", "--store", "memory",
                "--presence-notices-max", "2", "--presence-names-max", "5", "--presence-interval", "200ms");
        server = ChatServer.start(main.toChatConfig(), "127.0.0.1", 0, 2);
        url = "http://127.0.0.1:" + server.port() + "/";
        List<TestClient> others = new java.util.ArrayList<>();
        try {
            for (String user : List.of("carol", "dave", "erin")) {
                others.add(TestClient.connect(server.port(), user));
            }
            alice.logIn(url);
            alice.await("the count of a room past the notice bound",
                    d -> d.findElement(By.id("users-room")).getText().endsWith("4 online"));
            others.add(TestClient.connect(server.port(), "frank"));
            alice.await("a gathered arrival, named", d -> d.findElements(By.cssSelector("#log li.notice.join"))
                    .stream().anyMatch(li -> li.getText().endsWith("frank joined")));
            alice.await("5 online", d -> d.findElement(By.id("users-room")).getText().endsWith("5 online"));
            others.add(TestClient.connect(server.port(), "gina"));
            // Past --presence-names-max only the count comes: the list says how many it does not show.
            alice.await("6 online", d -> d.findElement(By.id("users-room")).getText().endsWith("6 online"));
            alice.await("the unnamed member counted", d -> alice.texts("#users li").contains("and 1 more"));
            assertEquals(List.of("alice", "carol", "dave", "erin", "frank", "and 1 more"), alice.texts("#users li"));
        } finally {
            others.forEach(TestClient::close);
        }
    }

    @Test
    void aReloadComesBackToTheSameRoomsConnectedWithoutTypingAnything() {
        alice.logIn(url);
        assertFalse(alice.element(By.id("token")).isDisplayed(), "--auth none: no token field");
        assertFalse(alice.element(By.id("connect")).isEnabled(), "the login form is inert while connected");
        assertEquals("true", alice.element(By.id("name")).getDomProperty("readOnly"));
        alice.joinRoom("dev");
        alice.sendToRoom("said in dev");
        alice.await("the message acked", d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "said in dev"));

        alice.open(url); // a reload
        alice.awaitConnectedAs("alice", "dev");
        assertEquals(List.of("lobby", "dev"), alice.texts("#rooms li"));
        alice.await("dev's history after the reload", d -> message(d, "#log li.msg", "alice", "said in dev"));
        assertEquals(1, alice.messages("#log li.msg", "said in dev").size(), "shown once");
        assertEquals(1, alice.driver().findElements(By.cssSelector("#log li.notice.join")).size(),
                "one join notice, not one per reconnect");
    }

    @Test
    void aPrivateMessageToSomeoneOfflineSaysSoAndArrivesWithAReceiptWhenTheyCome() {
        alice.logIn(url);
        alice.typePrivate("bob", "are you there?");
        alice.await("the offline notice", d -> present(d,
                By.cssSelector("#direct li.notice.offline")));
        assertTrue(alice.element(By.cssSelector("#direct li.notice.offline")).getText()
                .contains("bob is offline: the message will be delivered when they connect"));
        alice.typePrivate("bbo", "typo"); // no such user: the same notice names the typo
        alice.await("the typo's notice", d -> d.findElements(By.cssSelector("#direct li.notice.offline")).stream()
                .anyMatch(e -> e.getText().contains("bbo is offline")));

        bob.logIn(url);
        bob.await("the stored message", d -> message(d, "#direct li.msg", "alice", "are you there?"));
        alice.click(By.cssSelector("#conversations li[data-peer='bob']"));
        alice.await("bob's receipt", d -> present(d, By.cssSelector("#direct li.msg.mine.seen")));

        bob.typePrivate("alice", "here now");
        alice.await("bob's answer in the conversation", d -> message(d, "#direct li.msg", "bob", "here now"));
        assertEquals(List.of("bob", "bbo"), alice.texts("#conversations li"), "one conversation per person");
        // A message from someone whose conversation is not open counts as unread there.
        try (TestClient dave = TestClient.connect(server.port(), "dave")) {
            dave.expect("welcome");
            dave.sendJson("type", "private", "to", "alice", "content", "psst", "id", "d1");
            alice.await("dave's unread count", d -> "1".equals(
                    d.findElement(By.cssSelector("#conversations li[data-peer='dave']")).getDomAttribute("data-unread")));
        }
    }

    @Test
    void atPhoneWidthNothingOverlapsAndTheInputsStayUsable() throws IOException {
        alice.resize(390, 844);
        alice.open(url);
        // Before connecting, the login form is what a phone shows: its fields must be typeable, the token field
        // included (forced visible here, as on an --auth jwt server).
        alice.script("document.getElementById('token-field').hidden = false;");
        for (String input : new String[] {"name", "token"}) {
            WebElement field = alice.element(By.id(input));
            assertTrue(field.getSize().getWidth() >= 150, "login form: #" + input + " is " + field.getSize().getWidth() + " px");
        }
        alice.logIn(url);
        alice.screenshot("phone-390-folded");
        assertLayoutHolds(alice, "folded");
        alice.sendToRoom("from a phone");
        alice.await("the message acked", d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "from a phone"));
        for (String panel : new String[] {"rooms-panel", "people-panel", "conversations-panel"}) {
            alice.click(By.cssSelector("#" + panel + " > summary"));
        }
        alice.screenshot("phone-390-open");
        assertLayoutHolds(alice, "panels open");
        alice.resize(1280, 900);
        alice.screenshot("desktop-1280");
        assertLayoutHolds(alice, "desktop");
    }

    @Test
    void aServerGoingAwayIsShownWhileTheClientRetries() {
        alice.logIn(url);
        alice.script("window.__statuses = []; new MutationObserver(() => window.__statuses.push("
                + "document.getElementById('status').textContent)).observe(document.getElementById('status'),"
                + " {childList: true, characterData: true, subtree: true});");
        server.shutdown(Duration.ofSeconds(5));
        server = null;
        try {
            alice.await("the going-away status", d -> d.findElement(By.id("status")).getText().contains("server going away"));
        } catch (AssertionError e) {
            throw new AssertionError("statuses: " + alice.script("return JSON.stringify(window.__statuses)"), e);
        }
        try {
            Thread.sleep(1500); // several failed attempts later
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String status = alice.element(By.id("status")).getText();
        assertTrue(status.contains("server going away") && status.contains("reconnecting"), status);
        assertFalse(status.contains("could not connect"), status);
    }

    @Test
    void aRestartedServersClientWaitsARandomMomentOfTheWindowItWasAdvisedThenReconnects() throws Exception {
        ChatConfig config = serveWithReconnectRateOne();
        int port = server.port();
        alice.logIn(url);
        try (TestClient carol = TestClient.connect(port, "carol")) {
            carol.expect("welcome"); // 2 connections at 1 handshake a second: a 2 s window
            // The delay is Math.random() times the window: pinned, 1.8 s tells the window from the usual [0, 0.5 s).
            alice.script("Math.random = () => 0.9;");
            recordStatuses(alice);
            server.shutdown(Duration.ofSeconds(5));
            server = ChatServer.start(config, "127.0.0.1", port, 2); // the same port, as a restart
        }
        alice.awaitConnectedAs("alice");
        List<Map<String, Object>> statuses = recordedStatuses(alice);
        int waiting = indexOfState(statuses, "waiting", 0);
        int connecting = indexOfState(statuses, "connecting", waiting + 1);
        assertTrue(waiting >= 0 && connecting > waiting, "statuses: " + statuses);
        String text = (String) statuses.get(waiting).get("text");
        assertTrue(text.contains("server going away") && text.endsWith("reconnecting in 1.8 s"), text);
        long waited = ((Number) statuses.get(connecting).get("t")).longValue()
                - ((Number) statuses.get(waiting).get("t")).longValue();
        assertTrue(waited >= 1700 && waited < 5000, "the first retry came " + waited + " ms after the close: " + statuses);
    }

    @Test
    void aRetryRefusedWithinTheAdvisedWindowWaitsAMomentOfWhatIsLeftOfIt() throws Exception {
        serveWithReconnectRateOne();
        alice.logIn(url);
        List<TestClient> others = new ArrayList<>();
        try {
            for (String name : List.of("carol", "dave", "erin")) {
                others.add(TestClient.connect(server.port(), name));
                others.get(others.size() - 1).expect("welcome");
            }
            // 4 connections at 1 handshake a second: a 4 s window. Pinned at half of it, the first retry comes 2 s
            // after the close and is refused (nothing restarts); the next waits half of the 2 s left, about 1 s,
            // where the backoff of a second attempt alone would wait half of 1 s.
            alice.script("Math.random = () => 0.5;");
            recordStatuses(alice);
            server.shutdown(Duration.ofSeconds(5));
            server = null;
        } finally {
            others.forEach(TestClient::close);
        }
        alice.await("a second retry", d -> waitingTexts(recordedStatuses(alice)).size() >= 2);
        List<String> waiting = waitingTexts(recordedStatuses(alice));
        assertTrue(waiting.get(0).endsWith("reconnecting in 2.0 s"), "first: " + waiting);
        Matcher delay = Pattern.compile("reconnecting in (\\d+\\.\\d) s$").matcher(waiting.get(1));
        assertTrue(delay.find(), "second: " + waiting);
        double seconds = Double.parseDouble(delay.group(1));
        assertTrue(seconds >= 0.8 && seconds <= 1.0, "half of the rest of the window, not of the 1 s backoff: " + waiting);
    }

    /**
     * Replaces the test's server by one that advises a reconnect window of 1 s per connection it sends away;
     * returns its config, to restart it on the same port.
     */
    private ChatConfig serveWithReconnectRateOne() throws Exception {
        server.shutdown(Duration.ofSeconds(5));
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--host", "127.0.0.1", "--port", "0", "--store", "memory",
                "--reconnect-rate", "1");
        ChatConfig config = main.toChatConfig();
        server = ChatServer.start(config, "127.0.0.1", 0, 2);
        url = "http://127.0.0.1:" + server.port() + "/";
        return config;
    }

    /** Starts recording every change of the status line: time, state and text. */
    private static void recordStatuses(Browser browser) {
        browser.script("window.__statuses = []; const status = document.getElementById('status');"
                + " new MutationObserver(() => window.__statuses.push({t: Date.now(), state: status.dataset.state,"
                + " text: status.textContent})).observe(status,"
                + " {attributes: true, childList: true, characterData: true, subtree: true});");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> recordedStatuses(Browser browser) {
        return (List<Map<String, Object>>) browser.script("return window.__statuses");
    }

    /** The texts of the distinct "waiting" statuses, in order (a status can be recorded more than once). */
    private static List<String> waitingTexts(List<Map<String, Object>> statuses) {
        List<String> texts = new ArrayList<>();
        for (Map<String, Object> status : statuses) {
            String text = (String) status.get("text");
            if ("waiting".equals(status.get("state")) && (texts.isEmpty() || !texts.get(texts.size() - 1).equals(text))) {
                texts.add(text);
            }
        }
        return texts;
    }

    private static int indexOfState(List<Map<String, Object>> statuses, String state, int from) {
        for (int i = Math.max(0, from); i < statuses.size(); i++) {
            if (state.equals(statuses.get(i).get("state"))) {
                return i;
            }
        }
        return -1;
    }

    /** Visible boxes of the page's parts must not overlap, nothing may be wider than the window, inputs not tiny. */
    @SuppressWarnings("unchecked")
    private static void assertLayoutHolds(Browser browser, String when) {
        List<Map<String, Object>> boxes = (List<Map<String, Object>>) browser.script(
                "const ids = ['login', 'status', 'rooms-panel', 'people-panel', 'conversations-panel',"
                        + " 'room-title', 'log', 'send-form', 'direct', 'private-form'];"
                        + "return ids.map(id => { const r = document.getElementById(id).getBoundingClientRect();"
                        + " return {id: id, x: r.left, y: r.top, w: r.width, h: r.height}; })"
                        + ".filter(b => b.w > 0 && b.h > 0);");
        List<String> overlaps = new ArrayList<>();
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                if (overlap(boxes.get(i), boxes.get(j))) {
                    overlaps.add(boxes.get(i).get("id") + " / " + boxes.get(j).get("id"));
                }
            }
        }
        assertEquals(List.of(), overlaps, when + ": overlapping boxes " + boxes);
        long pageWidth = ((Number) browser.script("return document.documentElement.scrollWidth")).longValue();
        long windowWidth = ((Number) browser.script("return window.innerWidth")).longValue();
        assertTrue(pageWidth <= windowWidth, when + ": page " + pageWidth + " px wide in a " + windowWidth + " px window");
        for (String input : new String[] {"text", "private-text", "to"}) {
            WebElement field = browser.element(By.id(input));
            assertTrue(field.getSize().getWidth() >= 100, when + ": #" + input + " is " + field.getSize().getWidth() + " px");
        }
    }

    private static boolean overlap(Map<String, Object> a, Map<String, Object> b) {
        double ax = num(a, "x"), ay = num(a, "y"), aw = num(a, "w"), ah = num(a, "h");
        double bx = num(b, "x"), by = num(b, "y"), bw = num(b, "w"), bh = num(b, "h");
        double slack = 0.5; // sub-pixel rounding at shared edges
        return ax + aw > bx + slack && bx + bw > ax + slack && ay + ah > by + slack && by + bh > ay + slack;
    }

    private static double num(Map<String, Object> box, String key) {
        return ((Number) box.get(key)).doubleValue();
    }
}
