package io.chatd.server;

import static io.chatd.server.Browser.message;
import static io.chatd.server.Browser.notice;
import static io.chatd.server.Browser.present;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chatd.redis.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import picocli.CommandLine;

/**
 * What the README's "Running several nodes" promises a newcomer: two daemons on one Redis, each serving the web
 * client on its own port, and two browser tabs, one per node, chatting in the room and in private, and a reload that comes back.
 */
@Timeout(60)
class WebClientClusterBrowserTest {

    @Test
    void twoTabsOnTwoNodesChatInTheRoomAndInPrivate() throws Exception {
        Browser.requireChromium();
        Browser alice = null;
        Browser bob = null;
        ChatServer nodeA = null;
        ChatServer nodeB = null;
        try (RedisServer redis = RedisServer.start(false)) {
            nodeA = startNode(redis, "a");
            nodeB = startNode(redis, "b");
            alice = new Browser("alice");
            bob = new Browser("bob");
            bob.logIn("http://127.0.0.1:" + nodeB.port() + "/");
            alice.logIn("http://127.0.0.1:" + nodeA.port() + "/");

            bob.await("alice's join notice from the other node", d -> notice(d, "join", "alice"));
            alice.await("bob in the people list", d -> present(d, By.cssSelector("#users li[data-user='bob']")));
            alice.sendToRoom("hello from node a");
            WebElement atBob = bob.await("alice's message", d -> message(d, "#log li.msg", "alice",
                    "hello from node a"));
            WebElement atAlice = alice.await("alice's message acked",
                    d -> message(d, "#log li.msg.mine:not(.pending)", "alice", "hello from node a"));
            assertEquals(atBob.getDomAttribute("data-seq"), atAlice.getDomAttribute("data-seq"));
            bob.sendToRoom("hi from node b");
            alice.await("bob's reply", d -> message(d, "#log li.msg", "bob", "hi from node b"));

            bob.sendPrivate("alice", "just between us");
            alice.await("bob's private message", d -> message(d, "#direct li.msg.private", "bob", "just between us"));

            // A reload comes back connected, with the room's past read from Redis and the conversation kept.
            alice.open("http://127.0.0.1:" + nodeA.port() + "/");
            alice.awaitConnectedAs("alice");
            alice.await("the room's history after the reload", d -> message(d, "#log li.msg", "bob",
                    "hi from node b"));
            bob.sendToRoom("after your reload");
            alice.await("a live message after the reload", d -> message(d, "#log li.msg", "bob",
                    "after your reload"));
        } finally {
            Browser.quitAll(alice, bob);
            for (ChatServer node : new ChatServer[] {nodeA, nodeB}) {
                if (node != null) {
                    node.shutdown(Duration.ofSeconds(5));
                }
            }
        }
    }

    private static ChatServer startNode(RedisServer redis, String nodeId) throws Exception {
        ChatServerMain main = new ChatServerMain();
        new CommandLine(main).parseArgs("--host", "127.0.0.1", "--port", "0", "--redis", redis.uri(),
                "--node-id", nodeId);
        return ChatServer.start(main.toChatConfig(), "127.0.0.1", 0, 2);
    }
}
