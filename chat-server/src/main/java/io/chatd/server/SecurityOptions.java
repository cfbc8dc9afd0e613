package io.chatd.server;

import io.chatd.core.ChatConfig;
import io.chatd.core.IdentityResolver;
import io.chatd.core.QueryParameterIdentityResolver;
import io.chatd.core.TrustedProxies;
import io.chatd.core.auth.JwtIdentityResolver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The security flags of the daemon (authentication, TLS, abuse limits), a picocli mixin of {@link ChatServerMain}. Each method turns
 * flags into library configuration and throws {@link IllegalArgumentException} for a bad combination, which the
 * command reports as a usage error (exit 2).
 */
final class SecurityOptions {

    enum AuthMode { none, jwt }

    @Option(names = "--auth", defaultValue = "none", paramLabel = "none|jwt",
            description = "none: trust ?user=NAME, for development only (logs a warning). jwt: every WebSocket "
                    + "needs a signed token (Authorization: Bearer, Sec-WebSocket-Protocol bearer.TOKEN, or ?token=); "
                    + "none or a bad one gets HTTP 401 (default: ${DEFAULT-VALUE}).")
    AuthMode auth;

    @Option(names = "--jwt-secret-file", paramLabel = "FILE",
            description = "jwt: file holding the HS256 secret, at least 32 bytes; a trailing newline is ignored.")
    Path jwtSecretFile;

    @Option(names = "--jwt-public-key", paramLabel = "PEM",
            description = "jwt: PEM public key or certificate; RSA accepts RS256 tokens, EC P-256 ES256.")
    Path jwtPublicKey;

    @Option(names = "--jwt-jwks", paramLabel = "FILE",
            description = "jwt: JWK set file (JSON); each key's type decides its algorithm (RSA: RS256, EC: ES256).")
    Path jwtJwks;

    @Option(names = "--jwt-rooms-claim", defaultValue = "rooms", paramLabel = "CLAIM",
            description = "jwt: claim listing the rooms a user may join; tokens without it may join any "
                    + "(default: ${DEFAULT-VALUE}).")
    String jwtRoomsClaim;

    @Option(names = "--jwt-issuer", paramLabel = "ISS", description = "jwt: when set, tokens must have this iss.")
    String jwtIssuer;

    @Option(names = "--jwt-audience", paramLabel = "AUD", description = "jwt: when set, tokens must have this aud.")
    String jwtAudience;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "Serve https:// and wss:// with this PEM certificate chain; needs --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "PKCS#8 PEM private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--rate-limit", defaultValue = "0", paramLabel = "PER_SECOND",
            description = "Requests per second per connection; over it gets error rate_limited, and a connection "
                    + "that keeps going is closed with 4003. 0: no limit (default: ${DEFAULT-VALUE}).")
    double rateLimit;

    @Option(names = "--rate-burst", defaultValue = "0", paramLabel = "N",
            description = "Requests a connection may send at once before --rate-limit applies; 0: twice the rate "
                    + "(default: ${DEFAULT-VALUE}).")
    int rateBurst;

    @Option(names = "--history-rate", defaultValue = "5", paramLabel = "PER_SECOND",
            description = "history requests per second per connection (bursts of four times as many); more get "
                    + "error rate_limited. 0: no limit (default: ${DEFAULT-VALUE}).")
    double historyRate;

    @Option(names = "--max-connections", defaultValue = "0", paramLabel = "N",
            description = "Open WebSockets; more get HTTP 503. 0: no limit (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-connections-per-ip", defaultValue = "0", paramLabel = "N",
            description = "Open WebSockets per client address; more get HTTP 429. 0: no limit "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerIp;

    @Option(names = "--max-rooms-per-connection", defaultValue = "" + ChatConfig.DEFAULT_MAX_ROOMS_PER_CONNECTION,
            paramLabel = "N",
            description = "Rooms one connection may be in; more get error too_many_rooms. 0: no limit "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxRoomsPerConnection;

    @Option(names = "--max-room-members", defaultValue = "0", paramLabel = "N",
            description = "Connections one room may hold; more get error room_full. 0: no limit "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxRoomMembers;

    @Option(names = "--trust-proxy", split = ",", paramLabel = "ADDRESS|CIDR",
            description = "Reverse proxies whose X-Forwarded-For gives the client address (for "
                    + "--max-connections-per-ip), comma-separated, e.g. 127.0.0.1,10.0.0.0/8. Default: none, "
                    + "the header is ignored.")
    List<String> trustProxy = List.of();

    /** The TLS context the flags ask for, or null for plain HTTP. */
    io.netty.handler.ssl.SslContext sslContext() {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        return tlsCert == null ? null : Tls.serverContext(tlsCert, tlsKey);
    }

    /** The identity resolver the flags ask for. */
    IdentityResolver identityResolver() {
        int keys = (jwtSecretFile != null ? 1 : 0) + (jwtPublicKey != null ? 1 : 0) + (jwtJwks != null ? 1 : 0);
        if (auth == AuthMode.none) {
            if (keys > 0 || jwtIssuer != null || jwtAudience != null) {
                throw new IllegalArgumentException("--jwt-* flags need --auth jwt");
            }
            return new QueryParameterIdentityResolver();
        }
        if (keys != 1) {
            throw new IllegalArgumentException(
                    "--auth jwt needs exactly one of --jwt-secret-file, --jwt-public-key, --jwt-jwks");
        }
        JwtIdentityResolver.Builder jwt = JwtIdentityResolver.newBuilder()
                .roomsClaim(jwtRoomsClaim).issuer(jwtIssuer).audience(jwtAudience);
        if (jwtSecretFile != null) {
            byte[] secret = read(jwtSecretFile, "--jwt-secret-file");
            int end = secret.length;
            while (end > 0 && (secret[end - 1] == '\n' || secret[end - 1] == '\r')) {
                end--;
            }
            jwt.hmacSecret(Arrays.copyOf(secret, end));
            Arrays.fill(secret, (byte) 0);
        } else if (jwtPublicKey != null) {
            jwt.publicKeyPem(new String(read(jwtPublicKey, "--jwt-public-key"), StandardCharsets.US_ASCII));
        } else {
            jwt.jwks(new String(read(jwtJwks, "--jwt-jwks"), StandardCharsets.UTF_8));
        }
        try {
            return jwt.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--auth jwt: " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path file, String flag) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Applies the security flags to a configuration being built. */
    ChatConfig.Builder applyTo(ChatConfig.Builder builder) {
        return builder.identityResolver(identityResolver())
                .rateLimit(rateLimit, rateBurst)
                .historyRate(historyRate)
                .maxConnections(maxConnections)
                .maxConnectionsPerIp(maxConnectionsPerIp)
                .maxRoomsPerConnection(maxRoomsPerConnection)
                .maxRoomMembers(maxRoomMembers)
                .trustedProxies(TrustedProxies.of(trustProxy));
    }
}
