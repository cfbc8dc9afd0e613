package io.chatd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

/**
 * One headless Chromium with its own profile and chromedriver, standing for one person's tab on the built-in web
 * client, driven only through the page's forms and buttons. Shared by the browser tests.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} (scripts/test installs them); see
 * {@link #requireChromium()}. Drivers are given by path, so Selenium Manager never runs and nothing is downloaded.
 */
final class Browser {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Every wait is explicit and short: a local server answers in milliseconds. */
    static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(50);

    final String name;
    private final Path profile;
    private final ChromeDriverService service;
    private final ChromeDriver driver;

    /**
     * Skips the calling test class when Chromium is missing, unless {@code CHATD_REQUIRE_BROWSER=1} (set by
     * scripts/test) makes its absence a failure.
     */
    static void requireChromium() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String why = "needs " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)";
            if ("1".equals(System.getenv("CHATD_REQUIRE_BROWSER"))) {
                fail(why + "; CHATD_REQUIRE_BROWSER=1 makes the browser test mandatory");
            }
            assumeTrue(false, why);
        }
        // Belt and braces: with the driver named here too, no code path falls back to Selenium Manager.
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
    }

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

    /** Quits every browser given, each on its own: one that failed to start or crashed must not keep others up. */
    static void quitAll(Browser... browsers) {
        RuntimeException first = null;
        for (Browser browser : browsers) {
            try {
                if (browser != null) {
                    browser.quit();
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ---- actions --------------------------------------------------------------------------------------------

    void open(String url) {
        driver.get(url);
    }

    /**
     * Opens the page and connects under this browser's name, the way a person would. A reload of a tab that was
     * connected reconnects by itself (the login form is then inert), and only that is awaited.
     */
    void logIn(String url) {
        open(url);
        WebElement field = driver.findElement(By.id("name"));
        if (!"true".equals(field.getDomProperty("readOnly"))) {
            field.clear();
            field.sendKeys(name);
            driver.findElement(By.id("connect")).click();
        }
        awaitConnectedAs(name);
    }

    /** Joins {@code room} through the join form and waits until it is the room shown. */
    void joinRoom(String room) {
        driver.findElement(By.id("join-room")).sendKeys(room);
        driver.findElement(By.id("join")).click();
        await("room " + room + " joined", d -> room.equals(d.findElement(By.id("room-title")).getText())
                && present(d, By.cssSelector("#log li.notice.join")));
    }

    /** Types a private message to {@code to} in the Direct form, the way a person who knows the name would. */
    void typePrivate(String to, String text) {
        WebElement field = driver.findElement(By.id("to"));
        field.clear();
        field.sendKeys(to);
        driver.findElement(By.id("private-text")).sendKeys(text);
        driver.findElement(By.id("send-private")).click();
    }

    void click(By by) {
        driver.findElement(by).click();
    }

    /** The text of every element matching {@code selector}, in page order. */
    List<String> texts(String selector) {
        List<String> texts = new ArrayList<>();
        for (WebElement element : driver.findElements(By.cssSelector(selector))) {
            texts.add(element.getText());
        }
        return texts;
    }

    WebDriver driver() {
        return driver;
    }

    /** Pastes {@code token} into the token field (the name field untouched) and clicks Connect. */
    void connectWithToken(String token) {
        WebElement field = driver.findElement(By.id("token"));
        field.clear();
        field.sendKeys(token);
        driver.findElement(By.id("connect")).click();
    }

    /** Waits until the status says the server welcomed {@code user} and the default room is open to write in. */
    void awaitConnectedAs(String user) {
        awaitConnectedAs(user, "lobby");
    }

    /** Waits until the server welcomed {@code user} and {@code room} is the room shown, open to write in. */
    void awaitConnectedAs(String user, String room) {
        await("connected as " + user, d -> {
            WebElement status = d.findElement(By.id("status"));
            return "open".equals(status.getDomAttribute("data-state"))
                    && status.getText().equals("connected as " + user);
        });
        await("room " + room + " open", d -> room.equals(d.findElement(By.id("room-title")).getText())
                && d.findElement(By.id("send")).isEnabled());
    }

    void sendToRoom(String text) {
        driver.findElement(By.id("text")).sendKeys(text);
        driver.findElement(By.id("send")).click();
    }

    /** Picks the recipient by clicking their name in the people list, as the page suggests. */
    void sendPrivate(String to, String text) {
        // The people list is rebuilt on every presence change: find and click again if it was replaced between.
        await(to + " clickable in the people list", d -> {
            d.findElement(By.cssSelector("#users li[data-user='" + to + "']")).click();
            return true;
        });
        assertEquals(to, driver.findElement(By.id("to")).getDomProperty("value"));
        driver.findElement(By.id("private-text")).sendKeys(text);
        driver.findElement(By.id("send-private")).click();
    }

    /** Opens another tab, then closes the chat's: the browser keeps running, only the page goes away. */
    /** Clicks the page element with this id, e.g. {@code connect} or {@code disconnect}. */
    void click(String id) {
        driver.findElement(By.id(id)).click();
    }

    /** The {@code .content} text of every element matching {@code selector}, in page order. */
    List<String> contents(String selector) {
        List<String> texts = new ArrayList<>();
        for (WebElement element : driver.findElements(By.cssSelector(selector))) {
            texts.add(element.findElement(By.cssSelector(".content")).getText());
        }
        return texts;
    }

    void closeChatTab() {
        String chat = driver.getWindowHandle();
        driver.switchTo().newWindow(WindowType.TAB);
        String other = driver.getWindowHandle();
        driver.switchTo().window(chat).close();
        driver.switchTo().window(other);
        assertEquals(Set.of(other), driver.getWindowHandles());
    }

    /** Sets the window's size, e.g. 390 x 844 for a phone. */
    void resize(int width, int height) {
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(width, height));
    }

    /** Saves what the page shows to target/browser-test/NAME.png, for a person to look at. */
    Path screenshot(String name) throws IOException {
        Path file = Path.of("target", "browser-test", name + ".png");
        Files.write(file, driver.getScreenshotAs(org.openqa.selenium.OutputType.BYTES));
        return file;
    }

    /** Opens {@code url} in a new tab of this browser (same profile: same storage) and switches to it. */
    String openTab(String url) {
        driver.switchTo().newWindow(WindowType.TAB);
        open(url);
        return driver.getWindowHandle();
    }

    /** The handle of the tab in use, to come back to it with {@link #switchToTab}. */
    String currentTab() {
        return driver.getWindowHandle();
    }

    void switchToTab(String handle) {
        driver.switchTo().window(handle);
    }

    /** Closes the tab in use and switches to {@code next}. */
    void closeTab(String next) {
        driver.close();
        driver.switchTo().window(next);
    }

    /** Leaves the page, which closes its WebSocket, so the next test starts from a blank tab. */
    void leavePage() {
        driver.get("about:blank");
    }

    // ---- queries --------------------------------------------------------------------------------------------

    WebElement element(By by) {
        return driver.findElement(by);
    }

    List<WebElement> messages(String items, String content) {
        return messages(driver, items, content);
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
            throw new AssertionError(name + " did not see " + what + " within " + WAIT + "; page: " + describe(), e);
        }
    }

    /** The page's status, error and log text, for failure messages. */
    String describe() {
        try {
            return "status=\"" + driver.findElement(By.id("status")).getText() + "\" errors=\""
                    + driver.findElement(By.id("errors")).getText() + "\" log=\""
                    + driver.findElement(By.id("log")).getText().replace('\n', '|') + "\"";
        } catch (WebDriverException e) {
            return "unreadable (" + e.getClass().getSimpleName() + ")";
        }
    }

    static boolean present(WebDriver driver, By by) {
        return !driver.findElements(by).isEmpty();
    }

    /** A join/leave line of {@code user} in the open room's log. */
    static boolean notice(WebDriver driver, String kind, String user) {
        return present(driver, By.cssSelector("#log li.notice." + kind + " .who[data-name='" + user + "']"));
    }

    /** The first of the {@code items} (a CSS selector of li.msg) from {@code from} with exactly {@code content}. */
    static WebElement message(WebDriver driver, String items, String from, String content) {
        for (WebElement li : messages(driver, items, content)) {
            if (from.equals(li.findElement(By.cssSelector(".from")).getDomAttribute("data-name"))) {
                return li;
            }
        }
        return null;
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

    private void quit() {
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
