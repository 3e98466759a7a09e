package dev.sluice.sink.pubsub;

import dev.sluice.testkit.fakes.FakePubSub;
import java.net.URI;
import java.security.KeyPair;

/** A service account for tests: a fresh RSA key, and its key file pointing at a token endpoint. */
record TestAccount(String email, KeyPair keys) {
    static TestAccount create(String name) {
        return new TestAccount(name + "@sluice-test.iam.gserviceaccount.com", ExampleKey.generate());
    }

    /** Its key file, asking {@code tokenUri} for tokens. */
    String keyFile(URI tokenUri) {
        return ExampleKey.keyFile(keys, email, tokenUri.toString());
    }

    /** Registers it with {@code fake}, which then grants it tokens. */
    TestAccount registerWith(FakePubSub fake) {
        fake.addServiceAccount(email, keys.getPublic());
        return this;
    }
}
