package io.chatd.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.chatd.core.auth.JwtIdentityResolver;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --auth jwt}: token carriers, every way a token can be wrong, room restrictions, refresh and expiry. */
@Timeout(60)
class JwtAuthTest {

    private static final KeyPair RSA = Tokens.rsaKeyPair();

    private static TestServer hmacServer() {
        return TestServer.start(b -> b.identityResolver(JwtIdentityResolver.newBuilder()
                .hmacSecret(Tokens.SECRET).clockSkew(Duration.ZERO).build()));
    }

    private static TestServer rsaServer() {
        return TestServer.start(b -> b.identityResolver(JwtIdentityResolver.newBuilder()
                .publicKeyPem(pem(RSA)).clockSkew(Duration.ZERO).build()));
    }

    private static String pem(KeyPair pair) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static HandshakeProbe.Response probeWithBearer(TestServer server, String token) throws Exception {
        return HandshakeProbe.send(server.port(), "/ws", Map.of("Authorization", "Bearer " + token));
    }

    private static void assertRefused(HandshakeProbe.Response response, String reason) {
        assertEquals(401, response.status(), response::toString);
        assertEquals(reason + "\n", response.body());
        assertEquals("Bearer", response.header("WWW-Authenticate"));
    }

    @Test
    void bearerHeaderTokenConnectsAsItsSubject() {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(5)));
        try (TestServer server = hmacServer();
             TestClient alice = TestClient.connect(server.port(), "/ws",
                     h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token))) {
            JsonObject welcome = alice.expect("welcome");
            assertEquals("alice", welcome.get("user").getAsString());
            assertEquals("lobby", alice.expect("join").get("room").getAsString());
        }
    }

    @Test
    void queryParameterTokenConnectsAndTheUserParameterIsIgnored() {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(5)));
        try (TestServer server = hmacServer();
             TestClient alice = TestClient.connect(server.port(), "/ws?user=mallory&token=" + token, h -> { })) {
            assertEquals("alice", alice.expect("welcome").get("user").getAsString());
        }
    }

    @Test
    void subprotocolTokenConnectsAndOnlyTheChatdSubprotocolIsEchoed() throws Exception {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(5)));
        try (TestServer server = hmacServer()) {
            HandshakeProbe.Response probe = HandshakeProbe.send(server.port(), "/ws",
                    Map.of("Sec-WebSocket-Protocol", "chatd, bearer." + token));
            assertEquals(101, probe.status());
            assertEquals("chatd", probe.header("Sec-WebSocket-Protocol"));
            assertFalse(probe.head().contains(token), "the token must not come back");

            // What a browser does: new WebSocket(url, ["chatd", "bearer." + token]).
            BlockingQueue<String> frames = new LinkedBlockingQueue<>();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .subprotocols("chatd", "bearer." + token)
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            frames.add(data.toString());
                            webSocket.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            try {
                assertEquals("chatd", ws.getSubprotocol());
                JsonObject welcome = JsonParser.parseString(frames.poll(10, TimeUnit.SECONDS)).getAsJsonObject();
                assertEquals("alice", welcome.get("user").getAsString());
            } finally {
                ws.abort();
            }
        }
    }

    @Test
    void rsaAndEcKeysAcceptTheirOwnAlgorithm() throws Exception {
        try (TestServer server = rsaServer()) {
            String token = Tokens.rs256(RSA, Tokens.claims("bob", Duration.ofMinutes(5)));
            assertEquals(101, probeWithBearer(server, token).status());
        }
        KeyPair ec = Tokens.ecKeyPair();
        try (TestServer server = TestServer.start(b -> b.identityResolver(
                JwtIdentityResolver.newBuilder().publicKeyPem(pem(ec)).build()))) {
            assertEquals(101, probeWithBearer(server, Tokens.es256(ec, Tokens.claims("bob", Duration.ofMinutes(5))))
                    .status());
        }
    }

    @Test
    void jwksFileKeysAreAccepted() throws Exception {
        String jwks = "{\"keys\":[" + new com.nimbusds.jose.jwk.RSAKey.Builder(
                (java.security.interfaces.RSAPublicKey) RSA.getPublic()).keyID("k1").build().toJSONString() + "]}";
        try (TestServer server = TestServer.start(b -> b.identityResolver(
                JwtIdentityResolver.newBuilder().jwks(jwks).build()))) {
            assertEquals(101, probeWithBearer(server, Tokens.rs256(RSA, Tokens.claims("bob", Duration.ofMinutes(5))))
                    .status());
            assertRefused(probeWithBearer(server, Tokens.hs256(Tokens.claims("bob", Duration.ofMinutes(5)))),
                    "token signature or algorithm rejected");
        }
    }

    @Test
    void missingTokenGets401BeforeTheUpgrade() throws Exception {
        try (TestServer server = hmacServer()) {
            assertRefused(HandshakeProbe.send(server.port(), "/ws?user=alice", Map.of()), "missing token");
        }
    }

    @Test
    void expiredTokenGets401() throws Exception {
        try (TestServer server = hmacServer()) {
            assertRefused(probeWithBearer(server, Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(-1)))),
                    "token expired");
        }
    }

    @Test
    void notYetValidTokenGets401() throws Exception {
        try (TestServer server = hmacServer()) {
            String token = Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(10))
                    .notBeforeTime(java.util.Date.from(java.time.Instant.now().plusSeconds(300))));
            assertRefused(probeWithBearer(server, token), "token not yet valid");
        }
    }

    @Test
    void tokenSignedWithAnotherSecretGets401() throws Exception {
        byte[] other = "another-secret-another-secret-32".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (TestServer server = hmacServer()) {
            assertRefused(probeWithBearer(server, Tokens.hs256(other, Tokens.claims("alice", Duration.ofMinutes(5)))),
                    "token signature or algorithm rejected");
        }
    }

    @Test
    void unsignedAlgNoneTokenGets401() throws Exception {
        try (TestServer server = hmacServer()) {
            assertRefused(probeWithBearer(server, Tokens.none(Tokens.claims("alice", Duration.ofMinutes(5)))),
                    "token signature or algorithm rejected");
        }
        try (TestServer server = rsaServer()) {
            assertRefused(probeWithBearer(server, Tokens.none(Tokens.claims("alice", Duration.ofMinutes(5)))),
                    "token signature or algorithm rejected");
        }
    }

    @Test
    void hs256TokenKeyedWithTheRsaPublicKeyGets401() throws Exception {
        // The classic algorithm confusion: an attacker "signs" with the public key as an HMAC secret.
        try (TestServer server = rsaServer()) {
            String forged = Tokens.hs256(pem(RSA).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    Tokens.claims("alice", Duration.ofMinutes(5)));
            assertRefused(probeWithBearer(server, forged), "token signature or algorithm rejected");
            String forgedDer = Tokens.hs256(RSA.getPublic().getEncoded(), Tokens.claims("alice", Duration.ofMinutes(5)));
            assertRefused(probeWithBearer(server, forgedDer), "token signature or algorithm rejected");
        }
    }

    @Test
    void malformedTokensGet401() throws Exception {
        try (TestServer server = hmacServer()) {
            for (String token : List.of("abc", "a.b.c", "a.b", "....", "eyJub3QiOiJhbGcifQ.e30.c2ln",
                    "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "%00%01")) {
                HandshakeProbe.Response response = HandshakeProbe.send(server.port(), "/ws?token=" + token, Map.of());
                assertEquals(401, response.status(), token);
                assertEquals("malformed token\n", response.body(), token);
            }
        }
    }

    @Test
    void tokenWithoutExpiryOrWithABadSubjectGets401() throws Exception {
        try (TestServer server = hmacServer()) {
            String noExp = Tokens.hs256(new com.nimbusds.jwt.JWTClaimsSet.Builder().subject("alice"));
            assertRefused(probeWithBearer(server, noExp), "token claims rejected");
            String badSub = Tokens.hs256(Tokens.claims("<alice>", Duration.ofMinutes(5)));
            assertRefused(probeWithBearer(server, badSub), "sub must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
        }
    }

    @Test
    void twoTokensInOneRequestGet400() throws Exception {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(5)));
        try (TestServer server = hmacServer()) {
            HandshakeProbe.Response response = HandshakeProbe.send(server.port(), "/ws?token=" + token,
                    Map.of("Authorization", "Bearer " + token));
            assertEquals(400, response.status());
        }
    }

    @Test
    void roomsClaimForbidsOtherRoomsIncludingTheDefaultOne() {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(5), List.of("dev")));
        try (TestServer server = hmacServer();
             TestClient alice = TestClient.connect(server.port(), "/ws?token=" + token, h -> { })) {
            JsonObject welcome = alice.expect("welcome");
            assertEquals(0, welcome.getAsJsonArray("rooms").size(), "lobby is not in the token's rooms");
            alice.sendJson("type", "join", "room", "lobby", "id", "j1");
            JsonObject error = alice.expect("error");
            assertEquals("forbidden", error.get("code").getAsString());
            assertEquals("j1", error.get("id").getAsString());
            alice.sendJson("type", "join", "room", "dev");
            assertEquals("dev", alice.expect("join").get("room").getAsString());
            assertEquals(0, server.chat().stats().roomMessages());
        }
    }

    @Test
    void tokenExpiringWhileConnectedClosesWith4002() {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofSeconds(2)));
        try (TestServer server = hmacServer();
             TestClient alice = TestClient.connect(server.port(), "/ws?token=" + token, h -> { })) {
            alice.expect("welcome");
            assertEquals(CloseCodes.TOKEN_EXPIRED, alice.awaitCloseCode());
        }
    }

    @Test
    void refreshedTokenKeepsTheConnectionPastTheFirstExpiry() {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofSeconds(2)));
        try (TestServer server = hmacServer();
             TestClient alice = TestClient.connect(server.port(), "/ws?token=" + token, h -> { })) {
            alice.expect("welcome");
            alice.sendJson("type", "auth", "token", Tokens.hs256(Tokens.claims("alice", Duration.ofMinutes(5))),
                    "id", "r1");
            assertEquals("r1", alice.nextOfType("ack").get("id").getAsString());
            assertFalse(alice.awaitClosed(Duration.ofMillis(3500)), "closed despite the fresh token");
            alice.sendJson("type", "ping", "id", "p");
            assertEquals("p", alice.nextOfType("pong").get("id").getAsString());
        }
    }

    @Test
    void refreshWithAnotherUsersOrABadTokenIsRefusedAndTheOldExpiryStands() {
        String token = Tokens.hs256(Tokens.claims("alice", Duration.ofSeconds(3)));
        try (TestServer server = hmacServer();
             TestClient alice = TestClient.connect(server.port(), "/ws?token=" + token, h -> { })) {
            alice.expect("welcome");
            alice.sendJson("type", "auth", "token", Tokens.hs256(Tokens.claims("bob", Duration.ofMinutes(5))),
                    "id", "r1");
            JsonObject forbidden = alice.nextOfType("error");
            assertEquals("forbidden", forbidden.get("code").getAsString());
            alice.sendJson("type", "auth", "token", Tokens.none(Tokens.claims("alice", Duration.ofMinutes(5))),
                    "id", "r2");
            JsonObject unauthorized = alice.nextOfType("error");
            assertEquals("unauthorized", unauthorized.get("code").getAsString());
            assertEquals("r2", unauthorized.get("id").getAsString());
            assertEquals(CloseCodes.TOKEN_EXPIRED, alice.awaitCloseCode());
        }
    }

    @Test
    void authFrameWithoutTokenModeGetsUnauthorized() {
        try (TestServer server = TestServer.start(); TestClient alice = TestClient.connect(server.port(), "alice")) {
            alice.expect("welcome");
            alice.expect("join");
            alice.sendJson("type", "auth", "token", "whatever", "id", "a");
            JsonObject error = alice.expect("error");
            assertEquals("unauthorized", error.get("code").getAsString());
            assertTrue(error.get("message").getAsString().contains("does not use tokens"));
        }
    }
}
