package io.chatd.server;

import static io.chatd.server.Browser.message;
import static io.chatd.server.Browser.notice;
import static io.chatd.server.Browser.present;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.chatd.core.ChatConfig;
import io.chatd.core.TestClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
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
 * The built-in web client in real browsers: two headless Chromium sessions, alice and bob, use the page served
 * at {@code /} by the daemon to chat with each other, only through its forms and buttons.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver}; see {@link Browser#requireChromium()}.
 */
@Timeout(30)
class WebClientBrowserTest {

    /** Would create an image and set window.__xss if the client rendered messages as HTML. */
    private static final String XSS = "look: <img src=x onerror=\"window.__xss=1\"> ok?";

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

    /** A fresh daemon per test: a new port is a new origin, so no name or state carries over in the browsers. */
    @BeforeEach
    void startServerAndLogIn() throws Exception {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--host", "127.0.0.1", "--port", "0", "--store", "memory");
        ChatConfig config = main.toChatConfig();
        assertTrue(config.serveWebClient(), "the daemon serves the web client by default");
        server = ChatServer.start(config, "127.0.0.1", 0, 2);
        url = "http://127.0.0.1:" + server.port() + "/";
        // bob first, so that alice's arrival is news to him.
        bob.logIn(url);
        alice.logIn(url);
    }

    @AfterEach
    void closePagesAndStopServer() {
        try {
            alice.leavePage();
        } finally {
            try {
                bob.leavePage();
            } finally {
                if (server != null) {
                    server.shutdown(Duration.ofSeconds(5));
                }
            }
        }
    }

    @Test
    void twoTabsSeeEachOtherJoinAndChatInTheRoom() {
        bob.await("alice's join notice", d -> notice(d, "join", "alice"));
        bob.await("alice in the people list", d -> present(d, By.cssSelector("#users li[data-user='alice']")));
        alice.await("bob in the people list", d -> present(d, By.cssSelector("#users li[data-user='bob']")));

        alice.sendToRoom("hello bob");
        WebElement atBob = bob.await("alice's message", d -> message(d, "#log li.msg", "alice", "hello bob"));
        assertEquals("hello bob", atBob.findElement(By.cssSelector(".content")).getText());
        // The sender's own copy is confirmed by the server's ack: no longer pending, numbered like bob's.
        WebElement atAlice = alice.await("alice's message acked",
                d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "hello bob"));
        assertEquals(atBob.getDomAttribute("data-seq"), atAlice.getDomAttribute("data-seq"));

        bob.sendToRoom("hi alice");
        alice.await("bob's reply", d -> message(d, "#log li.msg", "bob", "hi alice"));
    }

    @Test
    void privateMessageReachesOnlyItsRecipient() {
        // carol, a plain WebSocket client in the same room, must not receive it either.
        try (TestClient carol = TestClient.connect(server.port(), "carol")) {
            carol.expect("welcome");
            alice.await("carol in the people list", d -> present(d, By.cssSelector("#users li[data-user='carol']")));
            bob.await("alice in the people list", d -> present(d, By.cssSelector("#users li[data-user='alice']")));

            bob.sendPrivate("alice", "just between us");
            alice.await("bob's private message", d -> message(d, "#direct li.msg.private", "bob", "just between us"));
            bob.await("bob's copy acked", d -> message(d, "#direct li.msg.private.mine:not(.pending)", "bob",
                    "just between us"));
            assertEquals(1, bob.messages("#direct li.msg", "just between us").size(), "bob has only his own copy");
            assertEquals(0, alice.messages("#log li.msg", "just between us").size(), "not in alice's room log");
            assertEquals(0, bob.messages("#log li.msg", "just between us").size(), "not in bob's room log");

            // bob's next room message is handled after his private one, so it reaches carol after anything
            // the private one could have sent her.
            bob.sendToRoom("back in the room");
            alice.await("bob's room message", d -> message(d, "#log li.msg", "bob", "back in the room"));
            JsonObject frame;
            do {
                frame = carol.next();
                assertNotEquals("private", frame.get("type").getAsString(), "carol got " + frame);
            } while (!isRoomMessage(frame, "back in the room"));
        }
    }

    @Test
    void markupInMessagesIsShownAsTextAndNeverRuns() {
        bob.await("alice in the people list", d -> present(d, By.cssSelector("#users li[data-user='alice']")));
        alice.sendToRoom(XSS);
        bob.sendPrivate("alice", XSS);

        WebElement inRoom = bob.await("the markup as a room message",
                d -> message(d, "#log li.msg", "alice", XSS));
        WebElement inDirect = alice.await("the markup as a private message",
                d -> message(d, "#direct li.msg", "bob", XSS));
        assertEquals(XSS, inRoom.findElement(By.cssSelector(".content")).getText(), "visible as literal text");
        assertEquals(XSS, inDirect.findElement(By.cssSelector(".content")).getText(), "visible as literal text");
        alice.await("alice's own copy acked", d -> message(d, "#log li.msg.mine:not(.pending)", "alice", XSS));
        bob.await("bob's own copy acked", d -> message(d, "#direct li.msg.mine:not(.pending)", "bob", XSS));

        for (Browser browser : List.of(alice, bob)) {
            assertEquals(0L, browser.script("return document.images.length"), browser.name + ": no <img> anywhere");
            assertEquals("undefined", browser.script("return typeof window.__xss"), browser.name + ": nothing ran");
        }
    }

    @Test
    void closingATabShowsTheOthersALeaveNotice() {
        alice.await("bob in the people list", d -> present(d, By.cssSelector("#users li[data-user='bob']")));
        bob.closeChatTab();
        alice.await("bob's leave notice", d -> notice(d, "leave", "bob"));
        alice.await("bob gone from the people list", d -> !present(d, By.cssSelector("#users li[data-user='bob']")));
        alice.await("alice still connected", d -> "open".equals(
                d.findElement(By.id("status")).getDomAttribute("data-state")));
    }

    @Test
    void aReconnectingTabCatchesUpOnWhatItMissedOnceAndInOrder() {
        bob.await("alice in the people list", d -> present(d, By.cssSelector("#users li[data-user='alice']")));
        alice.sendToRoom("before");
        bob.await("alice's first message", d -> message(d, "#log li.msg", "alice", "before"));
        bob.click("disconnect");
        alice.await("bob's leave notice", d -> notice(d, "leave", "bob"));
        alice.sendToRoom("missed one");
        alice.sendToRoom("missed two");
        alice.await("both acked", d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "missed two"));

        bob.click("connect"); // resumes the room with since = the last seq seen
        bob.await("the missed messages", d -> message(d, "#log li.msg", "alice", "missed two"));
        alice.sendToRoom("live again");
        bob.await("live traffic after the replay", d -> message(d, "#log li.msg", "alice", "live again"));
        assertEquals(List.of("before", "missed one", "missed two", "live again"), bob.contents("#log li.msg"));
        // One "bob joined" per connection: the resume's repeated join notice is not shown again.
        assertEquals(2L, bob.texts("#log li.notice.join").stream().filter(t -> t.contains("bob")).count(),
                bob.texts("#log li.notice").toString());
    }

    @Test
    void aMessageSentAfterAReloadIsDeliveredNotSwallowedAsAResend() {
        // The bug: ids restarted at c1 on every page load, and the server took the new c1 for a resend of the
        // old one: acked, delivered to no one.
        bob.await("alice in the people list", d -> present(d, By.cssSelector("#users li[data-user='alice']")));
        alice.sendToRoom("before the reload");
        bob.await("the first message", d -> message(d, "#log li.msg", "alice", "before the reload"));
        alice.await("the first message acked",
                d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "before the reload"));

        alice.logIn(url); // loads the page again
        alice.sendToRoom("after the reload");
        bob.await("the message sent after the reload", d -> message(d, "#log li.msg", "alice", "after the reload"));
        alice.await("it is acked", d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "after the reload"));
        assertEquals(0, alice.messages("#log li.msg.failed", "after the reload").size());
        bob.sendPrivate("alice", "dm after the reload");
        alice.sendPrivate("bob", "answer after the reload");
        bob.await("alice's private answer", d -> message(d, "#direct li.msg", "alice", "answer after the reload"));
    }

    @Test
    void aSecondTabOfTheSameUserSendsAndReceivesLikeTheFirst() {
        bob.await("alice in the people list", d -> present(d, By.cssSelector("#users li[data-user='alice']")));
        alice.sendToRoom("from tab one");
        bob.await("tab one's message", d -> message(d, "#log li.msg", "alice", "from tab one"));

        String first = alice.currentTab();
        alice.openTab(url);
        try {
            alice.logIn(url);
            alice.sendToRoom("from tab two");
            bob.await("tab two's message", d -> message(d, "#log li.msg", "alice", "from tab two"));
            alice.await("tab two's message acked",
                    d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "from tab two"));
            bob.sendToRoom("to both tabs");
            alice.await("bob's message in tab two", d -> message(d, "#log li.msg", "bob", "to both tabs"));
        } finally {
            alice.closeTab(first);
        }
        alice.await("tab two's message in tab one", d -> message(d, "#log li.msg", "alice", "from tab two"));
        alice.await("bob's message in tab one", d -> message(d, "#log li.msg", "bob", "to both tabs"));
        alice.sendToRoom("tab one again");
        bob.await("tab one's second message", d -> message(d, "#log li.msg", "alice", "tab one again"));
    }

    @Test
    void aSendThatWasNotConfirmedGoesAgainWithItsIdAfterTheReconnect() {
        bob.await("alice in the people list", d -> present(d, By.cssSelector("#users li[data-user='alice']")));
        // Sent while the socket is already gone: no ack can come, and the message must not be lost.
        alice.script("const ws = WebSocket.prototype.send;"
                + " WebSocket.prototype.send = function (data) {"
                + "   if (!window.__dropped && String(data).includes('lost in transit')) {"
                + "     window.__dropped = true; this.close(); return; }"
                + "   return ws.call(this, data); };");
        alice.sendToRoom("lost in transit");
        alice.await("the reconnect", d -> "open".equals(d.findElement(By.id("status")).getDomAttribute("data-state"))
                && !alice.messages("#log li.msg.mine:not(.pending)", "lost in transit").isEmpty());
        bob.await("the resent message", d -> message(d, "#log li.msg", "alice", "lost in transit"));
        assertEquals(1, bob.messages("#log li.msg", "lost in transit").size(), "delivered once");
    }

    // ---- page queries ---------------------------------------------------------------------------------------

    private static boolean isRoomMessage(JsonObject frame, String content) {
        return "msg".equals(frame.get("type").getAsString()) && content.equals(frame.get("content").getAsString());
    }
}
