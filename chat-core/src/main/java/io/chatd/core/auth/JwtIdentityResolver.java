package io.chatd.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.chatd.core.Identity;
import io.chatd.core.IdentityException;
import io.chatd.core.IdentityResolver;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Authenticates handshakes with a signed JWT (RFC 7519) found by {@link BearerTokens}: {@code sub} is the user
 * id, {@code exp} is required, {@code exp} and {@code nbf} are enforced, and an optional claim (default
 * {@code rooms}, an array of room names) lists the only rooms the user may join. No token, or a bad one, is
 * refused with 401 before the upgrade.
 *
 * <p>The accepted algorithm is pinned by the key, never taken from the token: an HMAC secret accepts HS256 only, an
 * RSA key RS256, an EC key ES256/ES384/ES512 by its curve. So {@code alg: none} and an HS256 token "signed" with
 * an RSA public key are both refused. Verification is done by nimbus-jose-jwt; nothing here is cryptography.
 *
 * <pre>{@code
 * IdentityResolver jwt = JwtIdentityResolver.newBuilder()
 *         .hmacSecret(Files.readAllBytes(Path.of("/etc/chatd/jwt.secret")))
 *         .build();
 * ChatConfig config = ChatConfig.newBuilder().identityResolver(jwt).build();
 * }</pre>
 */
public final class JwtIdentityResolver implements IdentityResolver {

    private final DefaultJWTProcessor<SecurityContext> processor;
    private final String roomsClaim;
    private final Duration clockSkew;
    private final Set<JWSAlgorithm> algorithms;

    private JwtIdentityResolver(Builder b) {
        JWKSource<SecurityContext> keys;
        if (b.secret != null) {
            // RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
            if (b.secret.length < 32) {
                throw new IllegalArgumentException("the HMAC secret must be at least 32 bytes (256 bits)");
            }
            keys = new ImmutableSecret<>(b.secret.clone());
            algorithms = Set.of(JWSAlgorithm.HS256);
        } else if (b.jwks != null) {
            keys = new ImmutableJWKSet<>(b.jwks);
            Set<JWSAlgorithm> algs = new HashSet<>();
            for (JWK key : b.jwks.getKeys()) {
                algs.add(algorithmFor(key));
            }
            if (algs.isEmpty()) {
                throw new IllegalArgumentException("the JWK set has no keys");
            }
            algorithms = Set.copyOf(algs);
        } else {
            throw new IllegalArgumentException("a JWT key is required: an HMAC secret, a public key or a JWK set");
        }
        roomsClaim = Objects.requireNonNull(b.roomsClaim, "roomsClaim");
        clockSkew = Objects.requireNonNull(b.clockSkew, "clockSkew");
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clockSkew must not be negative");
        }
        processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        JWTClaimsSet exact = b.issuer == null ? null : new JWTClaimsSet.Builder().issuer(b.issuer).build();
        DefaultJWTClaimsVerifier<SecurityContext> claims =
                new DefaultJWTClaimsVerifier<>(b.audience, exact, Set.of("sub", "exp"));
        claims.setMaxClockSkew((int) Math.min(Integer.MAX_VALUE, clockSkew.toSeconds()));
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** The one algorithm a key may verify: the key type decides, never the token's header. */
    private static JWSAlgorithm algorithmFor(JWK key) {
        if (KeyType.RSA.equals(key.getKeyType())) {
            return JWSAlgorithm.RS256;
        }
        if (KeyType.EC.equals(key.getKeyType())) {
            Curve curve = ((ECKey) key).getCurve();
            if (Curve.P_256.equals(curve)) {
                return JWSAlgorithm.ES256;
            }
            if (Curve.P_384.equals(curve)) {
                return JWSAlgorithm.ES384;
            }
            if (Curve.P_521.equals(curve)) {
                return JWSAlgorithm.ES512;
            }
            throw new IllegalArgumentException("unsupported EC curve " + curve);
        }
        if (KeyType.OCT.equals(key.getKeyType())) {
            return JWSAlgorithm.HS256;
        }
        throw new IllegalArgumentException("unsupported key type " + key.getKeyType());
    }

    public static Builder newBuilder() {
        return new Builder();
    }

    @Override
    public Identity resolve(HttpRequest request) throws IdentityException {
        String token = BearerTokens.find(request);
        if (token == null) {
            throw unauthorized("missing token");
        }
        return verify(token);
    }

    @Override
    public Identity refresh(String token) throws IdentityException {
        return verify(Objects.requireNonNull(token, "token"));
    }

    /** Verifies a token; reasons name the failure, never the token's content. */
    private Identity verify(String token) throws IdentityException {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw unauthorized("malformed token");
        } catch (BadJWTException e) {
            String message = String.valueOf(e.getMessage());
            if (e.getCause() instanceof ParseException || message.contains("JSON")) {
                throw unauthorized("malformed token");
            }
            if (message.contains("Expired")) {
                throw unauthorized("token expired");
            }
            if (message.contains("before use time")) {
                throw unauthorized("token not yet valid");
            }
            throw unauthorized("token claims rejected");
        } catch (BadJOSEException | KeySourceException e) {
            throw unauthorized("token signature or algorithm rejected");
        } catch (JOSEException | RuntimeException e) {
            // nimbus reports some malformed inputs (bad base64, bad JSON types) as runtime exceptions.
            throw unauthorized("malformed token");
        }
        Set<String> rooms = rooms(claims);
        Instant expiresAt = claims.getExpirationTime().toInstant().plus(clockSkew);
        try {
            return Identity.of(claims.getSubject(), rooms, expiresAt);
        } catch (IllegalArgumentException e) {
            throw unauthorized("sub must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
        }
    }

    private Set<String> rooms(JWTClaimsSet claims) throws IdentityException {
        Object value = claims.getClaim(roomsClaim);
        if (value == null) {
            return null;
        }
        if (!(value instanceof List)) {
            throw unauthorized("claim " + roomsClaim + " must be an array of room names");
        }
        Set<String> rooms = new LinkedHashSet<>();
        for (Object room : (List<?>) value) {
            if (!(room instanceof String)) {
                throw unauthorized("claim " + roomsClaim + " must be an array of room names");
            }
            rooms.add((String) room);
        }
        return rooms;
    }

    private static IdentityException unauthorized(String reason) {
        return new IdentityException(HttpResponseStatus.UNAUTHORIZED, reason);
    }

    /** Builds a {@link JwtIdentityResolver}; exactly one key source is required. */
    public static final class Builder {
        private byte[] secret;
        private JWKSet jwks;
        private String roomsClaim = "rooms";
        private String issuer;
        private String audience;
        private Duration clockSkew = Duration.ofSeconds(30);

        private Builder() {
        }

        /** An HS256 secret of at least 32 bytes. */
        public Builder hmacSecret(byte[] secret) {
            this.secret = Objects.requireNonNull(secret, "secret").clone();
            this.jwks = null;
            return this;
        }

        /** An RSA (RS256) or EC (ES256 on P-256) public key. */
        public Builder publicKey(PublicKey key) {
            Objects.requireNonNull(key, "key");
            JWK jwk;
            if (key instanceof RSAPublicKey) {
                jwk = new RSAKey.Builder((RSAPublicKey) key).build();
            } else if (key instanceof ECPublicKey) {
                ECPublicKey ec = (ECPublicKey) key;
                jwk = new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
            } else {
                throw new IllegalArgumentException("only RSA and EC public keys are supported: " + key.getAlgorithm());
            }
            return jwks(new JWKSet(jwk));
        }

        /** A PEM public key ({@code BEGIN PUBLIC KEY}) or certificate ({@code BEGIN CERTIFICATE}). */
        public Builder publicKeyPem(String pem) {
            return publicKey(PemKeys.publicKey(pem));
        }

        /** A JWK set (RFC 7517) as JSON; its keys' types decide the accepted algorithms. */
        public Builder jwks(String json) {
            try {
                return jwks(JWKSet.parse(Objects.requireNonNull(json, "json")));
            } catch (ParseException e) {
                throw new IllegalArgumentException("not a JWK set: " + e.getMessage(), e);
            }
        }

        private Builder jwks(JWKSet set) {
            this.jwks = set;
            this.secret = null;
            return this;
        }

        /** Claim listing the rooms a user may join; default {@code rooms}. Tokens without it may join any room. */
        public Builder roomsClaim(String roomsClaim) {
            this.roomsClaim = roomsClaim;
            return this;
        }

        /** When set, {@code iss} must equal it. Default: not checked. */
        public Builder issuer(String issuer) {
            this.issuer = issuer;
            return this;
        }

        /** When set, {@code aud} must contain it. Default: not checked. */
        public Builder audience(String audience) {
            this.audience = audience;
            return this;
        }

        /** Tolerated clock difference for {@code exp} and {@code nbf}; default 30 s. */
        public Builder clockSkew(Duration clockSkew) {
            this.clockSkew = clockSkew;
            return this;
        }

        /** @throws IllegalArgumentException when no key, or an unusable one, was given */
        public JwtIdentityResolver build() {
            return new JwtIdentityResolver(this);
        }
    }
}
