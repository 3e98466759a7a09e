package dev.sluice.sink.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SqsConfigTest {
    private static final String URL = "https://sqs.eu-west-2.amazonaws.com/123456789012/orders";
    private static final String FIFO_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo";

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "https://sqs.eu-west-2.amazonaws.com/123456789012/orders, eu-west-2",
        "https://sqs.us-gov-west-1.amazonaws.com/123456789012/orders, us-gov-west-1",
        "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders, cn-north-1",
        "https://ap-southeast-2.queue.amazonaws.com/123456789012/orders, ap-southeast-2",
        "https://queue.amazonaws.com/123456789012/orders, us-east-1",
    })
    void of_infersRegionFromQueueUrlHost(String url, String region) {
        assertThat(SqsConfig.of(url, null, null, null, null, null).region()).isEqualTo(region);
    }

    @Test
    void of_givenRegionWins() {
        assertThat(SqsConfig.of(URL, "us-west-1", null, null, null, null).region())
                .isEqualTo("us-west-1");
    }

    @Test
    void of_requiresRegionWhenHostNamesNone() {
        assertThatThrownBy(() -> SqsConfig.of(
                        "http://127.0.0.1:9324/000000000000/orders", null, null, null, null, "http://127.0.0.1:9324"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("region: cannot be inferred from queue_url host '127.0.0.1'")
                .hasMessageContaining("set region");
        SqsConfig emulator = SqsConfig.of(
                "http://127.0.0.1:9324/000000000000/orders", "us-east-1", "x", "y", null, "http://127.0.0.1:9324");
        assertThat(emulator.endpointUrl()).isEqualTo(URI.create("http://127.0.0.1:9324"));
    }

    @Test
    void of_infersFifoFromQueueName() {
        assertThat(SqsConfig.of(FIFO_URL, null, null, null, null, null).fifo()).isTrue();
        assertThat(SqsConfig.of(URL, null, null, null, null, null).fifo()).isFalse();
        assertThat(SqsConfig.of(FIFO_URL, null, null, null, true, null).fifo()).isTrue();
    }

    @Test
    void of_rejectsIsFifoContradictingQueueName() {
        assertThatThrownBy(() -> SqsConfig.of(URL, null, null, null, true, null))
                .hasMessageStartingWith("is_fifo: is true but queue 'orders' is not a FIFO queue");
        assertThatThrownBy(() -> SqsConfig.of(FIFO_URL, null, null, null, false, null))
                .hasMessageStartingWith("is_fifo: is false but queue 'orders.fifo' is a FIFO queue");
    }

    @Test
    void keysAreSetTogetherOrNotAtAll() {
        assertThatThrownBy(() -> SqsConfig.of(URL, null, "AKIAEXAMPLE", null, null, null))
                .hasMessageStartingWith("secret_access_key: set access_key_id and secret_access_key together");
        assertThatThrownBy(() -> SqsConfig.of(URL, null, null, "s3cret", null, null))
                .hasMessageStartingWith("access_key_id: set access_key_id and secret_access_key together")
                .hasMessageNotContaining("s3cret");
        SqsConfig chain = SqsConfig.of(URL, null, " ", "", null, null);
        assertThat(chain.accessKeyId()).isNull();
        assertThat(chain.secretAccessKey()).isNull();
    }

    @Test
    void rejectsInvalidQueueUrls() {
        assertThatThrownBy(() -> SqsConfig.of(" ", null, null, null, null, null))
                .hasMessageStartingWith("queue_url: is required");
        assertThatThrownBy(() -> SqsConfig.of("sqs.us-east-1.amazonaws.com/1/q", null, null, null, null, null))
                .hasMessageStartingWith("queue_url: must start with https:// or http://");
        assertThatThrownBy(() -> SqsConfig.of("https://sqs.us-east-1.amazonaws.com/", null, null, null, null, null))
                .hasMessageStartingWith("queue_url: ")
                .hasMessageContaining("no account and queue name");
        assertThatThrownBy(() ->
                        SqsConfig.of("https://sqs.us-east-1.amazonaws.com/1/bad%20name", null, null, null, null, null))
                .hasMessageStartingWith("queue_url: 'bad name' is not a valid queue name");
        assertThatThrownBy(() -> SqsConfig.of(
                        "https://AKIA:s3cret@sqs.us-east-1.amazonaws.com/1/q", null, null, null, null, null))
                .hasMessageStartingWith("queue_url: must not contain user info")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void requiresEndpointUrlForNonAwsQueueHost() {
        assertThatThrownBy(() ->
                        SqsConfig.of("http://localhost:9324/000000000000/orders", "us-east-1", null, null, null, null))
                .hasMessageStartingWith("endpoint_url: queue_url host 'localhost' is not an AWS SQS host");
        assertThatThrownBy(() -> SqsConfig.of(URL, null, null, null, null, "ftp://x"))
                .hasMessageStartingWith("endpoint_url: must start with https:// or http://");
    }

    @Test
    void rejectsBadRegionAndTimeout() {
        assertThatThrownBy(() -> SqsConfig.of(URL, "Europe", null, null, null, null))
                .hasMessageStartingWith("region: 'Europe' is not an AWS region name");
        assertThatThrownBy(() -> SqsConfig.of(URL, null, null, null, null, null, Duration.ZERO))
                .hasMessage("request_timeout_ms: must be positive, got 0 ms");
        assertThat(SqsConfig.of(URL, null, null, null, null, null).requestTimeout())
                .isEqualTo(SqsConfig.DEFAULT_REQUEST_TIMEOUT);
    }

    @Test
    void toString_hidesSecret() {
        SqsConfig config = SqsConfig.of(URL, null, "AKIAEXAMPLE", "s3cret", null, null);
        assertThat(config.toString())
                .contains("AKIAEXAMPLE")
                .contains("secretAccessKey=***")
                .doesNotContain("s3cret");
        assertThat(config.queueName()).isEqualTo("orders");
    }

    @Test
    void sqsId_keepsValidIdsAndHashesOthers() {
        assertThat(SqsSink.sqsId("MTAwMDox")).isEqualTo("MTAwMDox");
        assertThat(SqsSink.sqsId("public.orders")).isEqualTo("public.orders");
        String hashed = SqsSink.sqsId("x".repeat(129));
        assertThat(hashed).hasSize(64).matches("[0-9a-f]+").isEqualTo(SqsSink.sqsId("x".repeat(129)));
        assertThat(SqsSink.sqsId("has space")).hasSize(64);
        assertThat(SqsSink.sqsId("café")).hasSize(64);
        assertThat(SqsSink.sqsId("x".repeat(128))).isEqualTo("x".repeat(128));
    }

    @Test
    void routedQueueUrl_isCheckedAsQueueUrlIs_andMustBeOfTheSinksQueueType() {
        SqsConfig standard = SqsConfig.of(URL, null, null, null, null, null);
        SqsConfig fifo = SqsConfig.of(FIFO_URL, null, null, null, null, null);
        String other = "https://sqs.eu-west-2.amazonaws.com/123456789012/audit";

        assertThat(standard.routedQueueUrl(other)).isEqualTo(URI.create(other));
        assertThat(fifo.routedQueueUrl(other + ".fifo")).isEqualTo(URI.create(other + ".fifo"));
        assertThatThrownBy(() -> standard.routedQueueUrl("ftp://sqs.eu-west-2.amazonaws.com/1/q"))
                .hasMessageStartingWith("queue_url: must start with https:// or http://");
        assertThatThrownBy(() -> standard.routedQueueUrl("https://sqs.eu-west-2.amazonaws.com/bad name"))
                .hasMessageStartingWith("queue_url: is not a valid URL");
        assertThatThrownBy(() -> standard.routedQueueUrl("https://sqs.eu-west-2.amazonaws.com/orders"))
                .hasMessageStartingWith("queue_url: ")
                .hasMessageContaining("has no account and queue name");
        assertThatThrownBy(() -> standard.routedQueueUrl("http://localhost:9324/000000000000/audit"))
                .hasMessage("queue_url: has host 'localhost', not an AWS SQS host (the sink has no endpoint_url)");
        assertThatThrownBy(() -> standard.routedQueueUrl(other + ".fifo"))
                .hasMessageStartingWith(
                        "queue_url: is a FIFO queue (its name ends in .fifo), but the sink's queue is" + " not");
        assertThatThrownBy(() -> fifo.routedQueueUrl(other)).hasMessageStartingWith("queue_url: is not a FIFO queue");
    }

    @Test
    void routedQueueUrl_withEndpointUrl_takesTheEmulatorsHosts() {
        SqsConfig emulator = SqsConfig.of(
                "http://127.0.0.1:9324/000000000000/orders", "us-east-1", "x", "y", null, "http://127.0.0.1:9324");

        assertThat(emulator.routedQueueUrl("http://127.0.0.1:9324/000000000000/audit"))
                .isEqualTo(URI.create("http://127.0.0.1:9324/000000000000/audit"));
    }
}
