package io.chatd.core;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** Mints JWTs for tests, good and bad, with nimbus-jose-jwt. */
public final class Tokens {

    /** A 256-bit HS256 secret. */
    public static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private Tokens() {
    }

    /** Claims for {@code sub} expiring {@code ttl} from now. */
    public static JWTClaimsSet.Builder claims(String sub, Duration ttl) {
        return new JWTClaimsSet.Builder().subject(sub).expirationTime(Date.from(Instant.now().plus(ttl)));
    }

    /** Claims restricted to {@code rooms}. */
    public static JWTClaimsSet.Builder claims(String sub, Duration ttl, List<String> rooms) {
        return claims(sub, ttl).claim("rooms", rooms);
    }

    public static String hs256(byte[] secret, JWTClaimsSet.Builder claims) {
        try {
            return sign(new MACSigner(secret), JWSAlgorithm.HS256, claims);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    public static String hs256(JWTClaimsSet.Builder claims) {
        return hs256(SECRET, claims);
    }

    public static String rs256(KeyPair rsa, JWTClaimsSet.Builder claims) {
        return sign(new RSASSASigner(rsa.getPrivate()), JWSAlgorithm.RS256, claims);
    }

    public static String es256(KeyPair ec, JWTClaimsSet.Builder claims) {
        try {
            return sign(new ECDSASigner((ECPrivateKey) ec.getPrivate()), JWSAlgorithm.ES256, claims);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** An unsecured token: {@code alg: none}, no signature. */
    public static String none(JWTClaimsSet.Builder claims) {
        return new PlainJWT(claims.build()).serialize();
    }

    private static String sign(JWSSigner signer, JWSAlgorithm alg, JWTClaimsSet.Builder claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(alg), claims.build());
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    public static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    public static KeyPair ecKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
