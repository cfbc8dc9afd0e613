package io.chatd.server;

import static io.chatd.server.Browser.message;
import static io.chatd.server.Browser.notice;
import static io.chatd.server.Browser.present;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chatd.core.HandshakeProbe;
import io.chatd.core.Tokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import picocli.CommandLine;

/**
 * The built-in web client against a daemon run with {@code --auth jwt --jwt-secret-file}: tokens handed over in
 * the URL fragment or pasted into the token field, a token the server refuses, and a token expiring while
 * connected, in headless Chromium.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver}; see {@link Browser#requireChromium()}.
 */
@Timeout(30)
class WebClientTokenBrowserTest {

    /**
     * JwtIdentityResolver's clock skew, which the daemon's flags leave at its default: a token is accepted until
     * {@code exp} plus this, and its connection is closed with 4002 then.
     */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    /** The client's first retry would come within 0.5 s (BACKOFF_BASE_MS in app.js); this is well past it. */
    private static final Duration NO_RECONNECT = Duration.ofSeconds(2);
    private static final SecureRandom RANDOM = new SecureRandom();

    private static Browser alice;
    private static Browser bob;

    private ChatServer server;
    private String url;
    private byte[] secret;

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

    /** A fresh daemon and secret per test; a new port is a new origin, so nothing carries over in the browsers. */
    @BeforeEach
    void startServer(@TempDir Path dir) throws Exception {
        secret = newSecret();
        Path secretFile = dir.resolve("jwt.secret");
        Files.write(secretFile, (new String(secret, StandardCharsets.US_ASCII) + "\n")
                .getBytes(StandardCharsets.US_ASCII));
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--host", "127.0.0.1", "--port", "0", "--store", "memory",
                "--auth", "jwt", "--jwt-secret-file", secretFile.toString());
        server = ChatServer.start(main.toChatConfig(), "127.0.0.1", 0, 2);
        url = "http://127.0.0.1:" + server.port() + "/";
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
    void tokenInTheFragmentConnectsAsItsUserAndIsErasedFromTheAddress() {
        String token = token("alice", Duration.ofMinutes(5));
        alice.open(url + "#token=" + token);

        alice.awaitConnectedAs("alice");
        alice.await("the lobby joined",
                d -> present(d, By.cssSelector("#rooms li[data-room='lobby'][data-joined='true']")));
        alice.await("alice in the lobby's people list",
                d -> present(d, By.cssSelector("#users li[data-user='alice']")));
        assertEquals("", alice.element(By.id("name")).getDomProperty("value"), "no name was typed");
        assertEquals("", alice.script("return location.hash"));
        assertEquals(url, alice.script("return location.href"));
        assertEquals(1, server.chat().connectionCount());
        assertTokenNotShown(alice, token);
    }

    @Test
    void pastedTokenConnectsAsItsUserWhoseMessageReachesTheOtherTab() {
        alice.open(url + "#token=" + token("alice", Duration.ofMinutes(5)));
        alice.awaitConnectedAs("alice");

        String token = token("bob", Duration.ofMinutes(5));
        bob.open(url);
        bob.connectWithToken(token);
        bob.awaitConnectedAs("bob");
        assertEquals("", bob.element(By.id("name")).getDomProperty("value"), "no name was typed");
        alice.await("bob's join notice", d -> notice(d, "join", "bob"));

        bob.sendToRoom("signed, bob");
        alice.await("bob's message", d -> message(d, "#log li.msg", "bob", "signed, bob"));
        bob.await("bob's message acked", d -> message(d, "#log li.msg.mine:not(.pending)", "bob", "signed, bob"));
        assertTokenNotShown(bob, token);
    }

    @Test
    void wronglySignedTokenDoesNotConnectShowsAnErrorAndIsNeverEchoed() throws IOException {
        String forged = Tokens.hs256(newSecret(), Tokens.claims("alice", Duration.ofMinutes(5)));
        // What the browser is answered, which its WebSocket API does not reveal: 401 before any upgrade.
        HandshakeProbe.Response refused = HandshakeProbe.send(server.port(), "/ws",
                Map.of("Sec-WebSocket-Protocol", "chatd, bearer." + forged));
        assertEquals(401, refused.status(), refused::toString);

        alice.open(url);
        alice.connectWithToken(forged);

        alice.await("the refusal", d -> "closed".equals(d.findElement(By.id("status")).getDomAttribute("data-state"))
                && "connect_refused".equals(d.findElement(By.id("errors")).getDomAttribute("data-code")));
        assertEquals("could not connect \u2014 not reconnecting", alice.element(By.id("status")).getText());
        assertTrue(alice.element(By.id("errors")).getText().contains("refused"), alice.describe());
        assertFalse(alice.element(By.id("send")).isEnabled(), "nothing to send on");
        assertEquals(0, server.chat().connectionCount());
        assertEquals(0, server.chat().stats().connectionsOpened());
        assertTokenNotShown(alice, forged);
    }

    @Test
    void tokenExpiringWhileConnectedShowsTokenExpiredAndIsNotRetried() throws InterruptedException {
        // Accepted now, and closed with 4002 at exp + CLOCK_SKEW: 4 to 5 s from here (exp has whole seconds).
        String expiring = token("alice", Duration.ofSeconds(5).minus(CLOCK_SKEW));
        alice.open(url);
        alice.connectWithToken(expiring);
        alice.awaitConnectedAs("alice");
        // From here on, count the sockets the page opens (a Proxy keeps WebSocket.OPEN and the rest).
        alice.script("window.__sockets = 0; window.WebSocket = new Proxy(window.WebSocket, {"
                + " construct(target, args) { window.__sockets++; return Reflect.construct(target, args); } });");

        alice.await("the expiry close", d -> "close_4002".equals(
                d.findElement(By.id("errors")).getDomAttribute("data-code")));
        String status = alice.element(By.id("status")).getText();
        assertTrue(status.startsWith("closed 4002: token expired") && status.endsWith("not reconnecting"), status);
        assertTrue(alice.element(By.id("errors")).getText().contains("token expired"), alice.describe());

        Thread.sleep(NO_RECONNECT.toMillis()); // proving a negative: a reconnect would have started by now
        assertEquals(0L, alice.script("return window.__sockets"), "no socket after the 4002 close");
        assertEquals("closed", alice.element(By.id("status")).getDomAttribute("data-state"), alice.describe());
        assertEquals(1L, server.chat().stats().connectionsOpened());
        assertEquals(0, server.chat().connectionCount());
        assertEquals("", alice.element(By.id("token")).getDomProperty("value"), "the dead token is cleared");

        // The counter does see sockets: a fresh token connects again, as the message asks.
        alice.connectWithToken(token("alice", Duration.ofMinutes(5)));
        alice.awaitConnectedAs("alice");
        assertEquals(1L, alice.script("return window.__sockets"));
        assertEquals(2L, server.chat().stats().connectionsOpened());
        assertTokenNotShown(alice, expiring);
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /** 32 random bytes as 64 hex characters: printable, so the secret file is text like a real one. */
    private static byte[] newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes).getBytes(StandardCharsets.US_ASCII);
    }

    private String token(String sub, Duration ttl) {
        return Tokens.hs256(secret, Tokens.claims(sub, ttl));
    }

    /** Neither the token's claims nor its signature appear in the page's text or markup (attributes included). */
    private static void assertTokenNotShown(Browser browser, String token) {
        String[] parts = token.split("\\.");
        String text = (String) browser.script("return document.body.innerText");
        String markup = (String) browser.script("return document.documentElement.outerHTML");
        for (String part : new String[] {parts[1], parts[2]}) {
            assertFalse(text.contains(part), browser.name + ": token in the page's text: " + browser.describe());
            assertFalse(markup.contains(part), browser.name + ": token in the page's markup");
        }
    }
}
