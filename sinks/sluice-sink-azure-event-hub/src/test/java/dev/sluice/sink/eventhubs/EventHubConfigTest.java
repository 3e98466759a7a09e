package dev.sluice.sink.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class EventHubConfigTest {
    @Test
    void config_checksEachField_atItsKey() {
        assertProblem(() -> new EventHubConfig("ns", "records", "k", "s"), "namespace", "6 to 50");
        assertProblem(
                () -> new EventHubConfig("my-namespace.servicebus.windows.net", "records", "k", "s"),
                "namespace",
                "name only");
        assertProblem(() -> new EventHubConfig("my-namespace", "-records", "k", "s"), "event_hub_name", "letter");
        assertProblem(
                () -> new EventHubConfig("my-namespace", "records", " ", "s"), "shared_access_key_name", "required");
        assertProblem(() -> new EventHubConfig("my-namespace", "records", "k", ""), "shared_access_key", "required");
        assertProblem(
                () -> new EventHubConfig(
                        "my-namespace", "records", "k", "s", URI.create("ftp://x"), 1024, Duration.ofSeconds(1)),
                "endpoint_url",
                "http");
    }

    @Test
    void config_defaultsToTheNamespacesHost_andHidesTheKey() {
        EventHubConfig c = new EventHubConfig("my-namespace", "records", "RootManageSharedAccessKey", "key-3e1f");
        assertThat(c.baseUrl()).isEqualTo("https://my-namespace.servicebus.windows.net");
        assertThat(c.maxBatchBytes()).isEqualTo(1024 * 1024);
        assertThat(c.toString()).doesNotContain("key-3e1f").contains("RootManageSharedAccessKey");
    }

    @Test
    void eventHubNameProblem_followsAzuresRule() {
        assertThat(EventHubConfig.eventHubNameProblem("a")).isNull();
        assertThat(EventHubConfig.eventHubNameProblem("orders.v1_x-y")).isNull();
        assertThat(EventHubConfig.eventHubNameProblem("orders-")).isNotNull();
        assertThat(EventHubConfig.eventHubNameProblem("a b")).isNotNull();
        assertThat(EventHubConfig.eventHubNameProblem("a".repeat(257))).isNotNull();
    }

    @Test
    void token_isMicrosoftsSasFormat_signedOverTheEncodedUriAndExpiry() throws Exception {
        EventHubConfig c = new EventHubConfig("my-namespace", "records", "sender", "key-3e1f");
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        String token;
        try (EventHubClient client = new EventHubClient(c, Duration.ofSeconds(1), InstantSource.fixed(now))) {
            token = client.token("records");
        }
        String resource = "https%3A%2F%2Fmy-namespace.servicebus.windows.net%2Frecords";
        long expiry = now.getEpochSecond() + 3600;
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec("key-3e1f".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String sig = Base64.getEncoder()
                .encodeToString(mac.doFinal((resource + "\n" + expiry).getBytes(StandardCharsets.UTF_8)));
        assertThat(token)
                .isEqualTo("SharedAccessSignature sr=" + resource + "&sig="
                        + java.net.URLEncoder.encode(sig, StandardCharsets.UTF_8) + "&se=" + expiry + "&skn=sender");
    }

    @Test
    void errorDetail_isReadFromAzuresXml() {
        assertThat(EventHubClient.detail(
                        "<Error><Code>401</Code><Detail>ExpiredToken: it&apos;s late.</Detail></Error>"))
                .isEqualTo("ExpiredToken: it's late.");
        assertThat(EventHubSink.rootElement("<?xml version=\"1.0\"?><feed xmlns=\"x\"><title/></feed>"))
                .isEqualTo("feed");
        assertThat(EventHubSink.rootElement("<a:entry xmlns:a=\"x\">")).isEqualTo("entry");
    }

    private static void assertProblem(ThrowingCallable call, String field, String text) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(
                        InvalidConfigException.class,
                        e -> assertThat(e.problems()).singleElement().satisfies(p -> {
                            assertThat(p.field()).isEqualTo(field);
                            assertThat(p.message()).contains(text);
                        }));
    }
}
