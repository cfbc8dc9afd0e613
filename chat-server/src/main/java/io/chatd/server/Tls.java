package io.chatd.server;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The daemon's TLS: a server {@link SslContext} from PEM files, on OpenSSL when it loads, on the JDK otherwise. */
final class Tls {

    private static final Logger log = LoggerFactory.getLogger(Tls.class);

    private Tls() {
    }

    /**
     * Reads a PEM certificate chain and its PKCS#8 PEM private key.
     *
     * @throws IllegalArgumentException when the files cannot be read or do not match
     */
    static SslContext serverContext(Path certChain, Path privateKey) {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        try {
            SslContext context = SslContextBuilder.forServer(certChain.toFile(), privateKey.toFile())
                    .sslProvider(provider)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
            if (provider == SslProvider.OPENSSL) {
                log.info("TLS: OpenSSL ({})", OpenSsl.versionString());
            } else {
                log.info("TLS: JDK provider (OpenSSL unavailable: {})", String.valueOf(OpenSsl.unavailabilityCause()));
            }
            return context;
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot use --tls-cert " + certChain + " with --tls-key " + privateKey
                    + ": " + e.getMessage(), e);
        }
    }
}
