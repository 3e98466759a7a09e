package dev.sluice.terraform.plugin;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.net.ssl.SSLException;

/**
 * go-plugin's automatic mutual TLS, server side: Terraform passes its client certificate in {@code
 * PLUGIN_CLIENT_CERT}; the plugin makes a self-signed certificate for {@code localhost}, trusts only the client's, and
 * announces its own in the handshake line. The JDK's TLS provider is used: with OpenSSL's, Terraform's P-521 client
 * certificate is never sent and the handshake fails.
 */
record AutoTls(SslContext context, X509Certificate certificate) {
    static AutoTls forClient(String clientCertPem) throws GeneralSecurityException, SSLException {
        X509Certificate client = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(clientCertPem.getBytes(StandardCharsets.US_ASCII)));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        // P-384: the JDK's P-256 code builds precomputed tables on first use, which costs a cold JVM ~70 ms more.
        g.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair keys = g.generateKeyPair();
        X509Certificate cert = selfSigned(keys);
        SslContext ctx = GrpcSslContexts.configure(
                        SslContextBuilder.forServer(keys.getPrivate(), cert), SslProvider.JDK)
                .trustManager(client)
                .clientAuth(ClientAuth.REQUIRE)
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
        return new AutoTls(ctx, cert);
    }

    /** The certificate as the handshake line carries it: base64 of the DER, without padding. */
    String handshakeField() throws GeneralSecurityException {
        return Base64.getEncoder().withoutPadding().encodeToString(certificate.getEncoded());
    }

    private static X509Certificate selfSigned(KeyPair keys) throws GeneralSecurityException {
        Instant now = Instant.now();
        return SelfSignedCertificate.create(keys, now.minus(Duration.ofSeconds(30)), now.plus(Duration.ofDays(365)));
    }
}
