package dev.sluice.sink.pubsub;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * A service account key file for {@link PubSubProvider#examples()}: its RSA key is made when the class loads, so no
 * private key is kept in the sources and the example's secret is found nowhere else.
 */
final class ExampleKey {
    /** The example key file's JSON. */
    static final String JSON = keyFile(
            generate(),
            "sluice-example@my-project.iam.gserviceaccount.com",
            ServiceAccount.GOOGLE_TOKEN_URI.toString());

    private ExampleKey() {}

    /** A new 2048-bit RSA key pair. */
    static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no RSA", e);
        }
    }

    /** A key file as Google's console writes one, for {@code keys}' private key. */
    static String keyFile(KeyPair keys, String clientEmail, String tokenUri) {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'})
                        .encodeToString(keys.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        StringBuilder out = new StringBuilder("{\"type\":\"service_account\",\"project_id\":\"my-project\"");
        out.append(",\"private_key_id\":\"")
                .append(Integer.toHexString(keys.getPublic().hashCode()))
                .append('"');
        out.append(",\"private_key\":");
        Json.string(out, pem);
        out.append(",\"client_email\":");
        Json.string(out, clientEmail);
        out.append(",\"token_uri\":");
        Json.string(out, tokenUri);
        return out.append('}').toString();
    }
}
