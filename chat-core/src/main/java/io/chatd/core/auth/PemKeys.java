package io.chatd.core.auth;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a public key from PEM text with the JDK alone: SubjectPublicKeyInfo or an X.509 certificate. */
final class PemKeys {

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private PemKeys() {
    }

    static PublicKey publicKey(String pem) {
        Matcher m = BLOCK.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException("no PEM block found (expected BEGIN PUBLIC KEY or BEGIN CERTIFICATE)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        try {
            switch (m.group(1)) {
                case "PUBLIC KEY": {
                    X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
                    for (String algorithm : new String[] {"RSA", "EC"}) {
                        try {
                            return KeyFactory.getInstance(algorithm).generatePublic(spec);
                        } catch (GeneralSecurityException e) {
                            // not this algorithm; try the next
                        }
                    }
                    throw new IllegalArgumentException("the PEM public key is neither RSA nor EC");
                }
                case "CERTIFICATE":
                    return CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
                default:
                    throw new IllegalArgumentException("unsupported PEM block " + m.group(1)
                            + " (expected PUBLIC KEY or CERTIFICATE)");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unreadable PEM: " + e.getMessage(), e);
        }
    }
}
