package dev.sluice.terraform.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfSignedCertificateTest {
    private static KeyPair keys(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    @Test
    void theJdkReadsItAsGoPluginsServerCertificate() throws Exception {
        KeyPair keys = keys("secp384r1");
        Instant from = Instant.parse("2026-12-06T10:00:00Z");
        X509Certificate c = SelfSignedCertificate.create(keys, from, Instant.parse("2027-12-06T10:00:00Z"));

        assertThat(c.getVersion()).isEqualTo(3);
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("O=HashiCorp,CN=localhost");
        assertThat(c.getIssuerX500Principal()).isEqualTo(c.getSubjectX500Principal());
        assertThat(c.getNotBefore()).isEqualTo(Date.from(from));
        assertThat(c.getNotAfter()).isEqualTo(Date.from(Instant.parse("2027-12-06T10:00:00Z")));
        assertThat(c.getSigAlgName()).isEqualTo("SHA384withECDSA");
        assertThat(c.getPublicKey()).isEqualTo(keys.getPublic());
        c.verify(keys.getPublic()); // throws unless the signature is over these exact bytes
        assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(2, "localhost"));
        assertThat(c.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE); // a CA, no path length limit
        assertThat(c.getCriticalExtensionOIDs()).containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
        // digitalSignature, keyEncipherment, keyAgreement, keyCertSign
        assertThat(c.getKeyUsage()).startsWith(true, false, true, false, true, true, false);
        assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1");
        c.checkValidity(Date.from(from.plusSeconds(60)));
    }

    @Test
    void aP521KeyAsTerraformsClientUsesWorksToo() throws Exception {
        KeyPair keys = keys("secp521r1");
        X509Certificate c =
                SelfSignedCertificate.create(keys, Instant.now(), Instant.now().plusSeconds(3600));
        c.verify(keys.getPublic());
        assertThat(c.getPublicKey()).isEqualTo(keys.getPublic());
    }

    @Test
    void derLengthsAndObjectIdentifiersAreEncodedAsX690Says() {
        assertThat(HexFormat.of().formatHex(SelfSignedCertificate.oid(1, 2, 840, 10045, 4, 3, 2)))
                .isEqualTo("06082a8648ce3d040302");
        assertThat(HexFormat.of().formatHex(SelfSignedCertificate.oid(2, 5, 29, 17)))
                .isEqualTo("0603551d11");
        assertThat(SelfSignedCertificate.tlv(0x04, new byte[127])).startsWith(0x04, 127);
        assertThat(SelfSignedCertificate.tlv(0x04, new byte[128])).startsWith(0x04, 0x81, 0x80);
        assertThat(SelfSignedCertificate.tlv(0x04, new byte[300])).startsWith(0x04, 0x82, 0x01, 0x2c);
    }
}
