package dev.sluice.terraform.plugin;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The plugin's throwaway TLS certificate, written in DER with the JDK alone (RFC 5280): a self-signed X.509 v3
 * certificate for {@code localhost} with an EC key, signed with ECDSA over SHA-384, and the extensions go-plugin's own
 * certificates carry (subject alternative name, CA basic constraints, key usage, client and server auth). A library
 * would do the same, but the usual one ships signed jars, which the JVM keeps out of the class-data sharing archive
 * and verifies at every start: about half of the provider's start-up.
 */
final class SelfSignedCertificate {
    private static final DateTimeFormatter UTC_TIME =
            DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final byte[] ECDSA_WITH_SHA384 = seq(oid(1, 2, 840, 10045, 4, 3, 3));

    private SelfSignedCertificate() {}

    static X509Certificate create(KeyPair keys, Instant notBefore, Instant notAfter) throws GeneralSecurityException {
        byte[] name = seq(
                set(seq(oid(2, 5, 4, 3), utf8("localhost"))), // CN
                set(seq(oid(2, 5, 4, 10), utf8("HashiCorp")))); // O, as go-plugin's
        byte[] extensions = seq(
                // The client checks the subject alternative name, not the CN.
                extension(oid(2, 5, 29, 17), false, seq(tlv(0x82, ascii("localhost")))),
                extension(oid(2, 5, 29, 19), true, seq(tlv(0x01, new byte[] {(byte) 0xff}))),
                // digitalSignature (bit 0), keyEncipherment (2), keyAgreement (4), keyCertSign (5): two unused bits.
                extension(oid(2, 5, 29, 15), true, tlv(0x03, new byte[] {2, (byte) 0xac})),
                extension(
                        oid(2, 5, 29, 37), false, seq(oid(1, 3, 6, 1, 5, 5, 7, 3, 2), oid(1, 3, 6, 1, 5, 5, 7, 3, 1))));
        byte[] tbs = seq(
                tlv(0xa0, tlv(0x02, new byte[] {2})), // version v3
                tlv(0x02, new BigInteger(127, new SecureRandom()).toByteArray()),
                ECDSA_WITH_SHA384,
                name,
                seq(tlv(0x17, ascii(UTC_TIME.format(notBefore))), tlv(0x17, ascii(UTC_TIME.format(notAfter)))),
                name,
                keys.getPublic().getEncoded(), // already a SubjectPublicKeyInfo
                tlv(0xa3, extensions));
        Signature signer = Signature.getInstance("SHA384withECDSA");
        signer.initSign(keys.getPrivate());
        signer.update(tbs);
        byte[] der = seq(tbs, ECDSA_WITH_SHA384, bitString(signer.sign()));
        return (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static byte[] extension(byte[] oid, boolean critical, byte[] value) {
        return critical ? seq(oid, tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, value)) : seq(oid, tlv(0x04, value));
    }

    private static byte[] bitString(byte[] bytes) {
        byte[] v = new byte[bytes.length + 1]; // no unused bits
        System.arraycopy(bytes, 0, v, 1, bytes.length);
        return tlv(0x03, v);
    }

    private static byte[] utf8(String s) {
        return tlv(0x0c, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] oid(int... arcs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int a = arcs[i];
            int shift = 28;
            while (shift > 0 && (a >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                out.write(0x80 | ((a >>> shift) & 0x7f));
            }
            out.write(a & 0x7f);
        }
        return tlv(0x06, out.toByteArray());
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One DER element: tag, definite length (short or long form), value. */
    static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(value);
        return out.toByteArray();
    }
}
