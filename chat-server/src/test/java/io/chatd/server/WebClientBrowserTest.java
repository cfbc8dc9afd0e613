package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import io.chatd.core.ChatConfig;
import io.chatd.core.TestClient;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;
import picocli.CommandLine;

/**
 * The built-in web client in real browsers: two headless Chromium sessions, alice and bob, use the page served
 * at {@code /} by the daemon to chat with each other, only through its forms and buttons.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} (scripts/test installs them). Without them the
 * test is skipped, unless {@code CHATD_REQUIRE_BROWSER=1} (set by scripts/test) makes their absence a failure.
 * Drivers are given by path, so Selenium Manager never runs and nothing is downloaded.
 */
@Timeout(30)
class WebClientBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Every wait is explicit and short: a local server answers in milliseconds. */
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(50);
    /** Would create an image and set window.__xss if the client rendered messages as HTML. */
    private static final String XSS = "look: <img src=x onerror=\"window.__xss=1\"> ok?";

    private static Browser alice;
    private static Browser bob;

    private ChatServer server;
    private String url;

    @BeforeAll
    static void startBrowsers() throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String why = "needs " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)";
            if ("1".equals(System.getenv("CHATD_REQUIRE_BROWSER"))) {
                fail(why + "; CHATD_REQUIRE_BROWSER=1 makes the browser test mandatory");
            }
            assumeTrue(false, why);
        }
        // Belt and braces: with the driver named here too, no code path falls back to Selenium Manager.
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
        alice = new Browser("alice");
        bob = new Browser("bob");
    }

    @AfterAll
    static void quitBrowsers() {
        // Each quit on its own: a browser that failed to start or crashed must not keep the other one running.
        try {
            if (alice != null) {
                alice.quit();
            }
        } finally {
            if (bob != null) {
                bob.quit();
            }
        }
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
        bob.driver.findElement(By.id("disconnect")).click();
        alice.await("bob's leave notice", d -> notice(d, "leave", "bob"));
        alice.sendToRoom("missed one");
        alice.sendToRoom("missed two");
        alice.await("both acked", d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "missed two"));

        bob.driver.findElement(By.id("connect")).click(); // resumes the room with since = the last seq seen
        bob.await("the missed messages", d -> message(d, "#log li.msg", "alice", "missed two"));
        alice.sendToRoom("live again");
        bob.await("live traffic after the replay", d -> message(d, "#log li.msg", "alice", "live again"));
        List<String> shown = new ArrayList<>();
        for (WebElement li : bob.driver.findElements(By.cssSelector("#log li.msg"))) {
            shown.add(li.findElement(By.cssSelector(".content")).getText());
        }
        assertEquals(List.of("before", "missed one", "missed two", "live again"), shown);
    }

    // ---- page queries ---------------------------------------------------------------------------------------

    private static boolean isRoomMessage(JsonObject frame, String content) {
        return "msg".equals(frame.get("type").getAsString()) && content.equals(frame.get("content").getAsString());
    }

    private static boolean present(WebDriver driver, By by) {
        return !driver.findElements(by).isEmpty();
    }

    /** A join/leave line of {@code user} in the open room's log. */
    private static boolean notice(WebDriver driver, String kind, String user) {
        return present(driver, By.cssSelector("#log li.notice." + kind + " .who[data-name='" + user + "']"));
    }

    /** The first of the {@code items} (a CSS selector of li.msg) from {@code from} with exactly {@code content}. */
    private static WebElement message(WebDriver driver, String items, String from, String content) {
        for (WebElement li : Browser.messages(driver, items, content)) {
            if (from.equals(li.findElement(By.cssSelector(".from")).getDomAttribute("data-name"))) {
                return li;
            }
        }
        return null;
    }

    /** One headless Chromium with its own profile and chromedriver, standing for one person's tab. */
    private static final class Browser {

        final String name;
        private final Path profile;
        private final ChromeDriverService service;
        private final ChromeDriver driver;

        Browser(String name) throws IOException {
            this.name = name;
            this.profile = Files.createTempDirectory("chatd-chromium-" + name + "-");
            Path logs = Path.of("target", "browser-test");
            Files.createDirectories(logs);
            this.service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(CHROMEDRIVER.toFile())
                    .usingAnyFreePort()
                    .withLogFile(new File(logs.toFile(), "chromedriver-" + name + ".log"))
                    .build();
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    "--user-data-dir=" + profile);
            ChromeDriver started;
            try {
                started = new ChromeDriver(service, options);
            } catch (RuntimeException e) {
                service.stop();
                deleteProfile();
                throw e;
            }
            this.driver = started;
        }

        /** Opens the page and connects under this browser's name, the way a person would. */
        void logIn(String url) {
            driver.get(url);
            WebElement field = driver.findElement(By.id("name"));
            field.clear();
            field.sendKeys(name);
            driver.findElement(By.id("connect")).click();
            await("connected as " + name, d -> {
                WebElement status = d.findElement(By.id("status"));
                return "open".equals(status.getDomAttribute("data-state"))
                        && status.getText().equals("connected as " + name);
            });
            await("the default room open", d -> "lobby".equals(d.findElement(By.id("room-title")).getText())
                    && d.findElement(By.id("send")).isEnabled());
        }

        void sendToRoom(String text) {
            driver.findElement(By.id("text")).sendKeys(text);
            driver.findElement(By.id("send")).click();
        }

        /** Picks the recipient by clicking their name in the people list, as the page suggests. */
        void sendPrivate(String to, String text) {
            driver.findElement(By.cssSelector("#users li[data-user='" + to + "']")).click();
            assertEquals(to, driver.findElement(By.id("to")).getDomProperty("value"));
            driver.findElement(By.id("private-text")).sendKeys(text);
            driver.findElement(By.id("send-private")).click();
        }

        /** Opens another tab, then closes the chat's: the browser keeps running, only the page goes away. */
        void closeChatTab() {
            String chat = driver.getWindowHandle();
            driver.switchTo().newWindow(WindowType.TAB);
            String other = driver.getWindowHandle();
            driver.switchTo().window(chat).close();
            driver.switchTo().window(other);
            assertEquals(Set.of(other), driver.getWindowHandles());
        }

        List<WebElement> messages(String items, String content) {
            return messages(driver, items, content);
        }

        /** The {@code items} (a CSS selector of li.msg) whose content is exactly {@code content}, as the DOM has it. */
        static List<WebElement> messages(WebDriver driver, String items, String content) {
            List<WebElement> found = new ArrayList<>();
            for (WebElement li : driver.findElements(By.cssSelector(items))) {
                if (content.equals(li.findElement(By.cssSelector(".content")).getDomProperty("textContent"))) {
                    found.add(li);
                }
            }
            return found;
        }

        Object script(String js) {
            return ((JavascriptExecutor) driver).executeScript(js);
        }

        /** Waits for {@code condition}; on timeout says what was awaited and what the page showed. */
        <T> T await(String what, ExpectedCondition<T> condition) {
            try {
                return new WebDriverWait(driver, WAIT, POLL)
                        .ignoring(StaleElementReferenceException.class)
                        .until(condition);
            } catch (TimeoutException e) {
                throw new AssertionError(name + " did not see " + what + " within " + WAIT + "; page: " + describe(),
                        e);
            }
        }

        private String describe() {
            try {
                return "status=\"" + driver.findElement(By.id("status")).getText() + "\" errors=\""
                        + driver.findElement(By.id("errors")).getText() + "\" log=\""
                        + driver.findElement(By.id("log")).getText().replace('\n', '|') + "\"";
            } catch (WebDriverException e) {
                return "unreadable (" + e.getClass().getSimpleName() + ")";
            }
        }

        /** Leaves the page, which closes its WebSocket, so the next test starts from a blank tab. */
        void leavePage() {
            driver.get("about:blank");
        }

        void quit() {
            try {
                driver.quit();
            } finally {
                service.stop();
                deleteProfile();
            }
        }

        private void deleteProfile() {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temp directory left behind is harmless; failing the run over it is not.
            }
        }
    }
}
