package dev.sluice.sink.sns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SnsConfigTest {
    private static final String ARN = "arn:aws:sns:eu-west-2:123456789012:orders";
    private static final String FIFO_ARN = "arn:aws:sns:eu-west-2:123456789012:orders.fifo";

    @Test
    void of_infersRegionAndFifoFromArn() {
        SnsConfig config = SnsConfig.of(FIFO_ARN, null, null, null, null, null);
        assertThat(config.region()).isEqualTo("eu-west-2");
        assertThat(config.fifo()).isTrue();
        assertThat(config.topicName()).isEqualTo("orders.fifo");
        assertThat(config.requestTimeout()).isEqualTo(SnsConfig.DEFAULT_REQUEST_TIMEOUT);
        assertThat(SnsConfig.of(ARN, " ", null, null, null, null).fifo()).isFalse();
        assertThat(SnsConfig.of("arn:aws-cn:sns:cn-north-1:123456789012:a-b_c", null, null, null, null, null)
                        .region())
                .isEqualTo("cn-north-1");
    }

    @Test
    void rejectsRegionDifferentFromArn() {
        assertThatThrownBy(() -> SnsConfig.of(ARN, "us-east-1", null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("region: 'us-east-1' differs from the topic's region 'eu-west-2'");
        assertThatThrownBy(() -> SnsConfig.of(ARN, "nowhere", null, null, null, null))
                .hasMessageStartingWith("region: 'nowhere' is not an AWS region name");
    }

    @Test
    void rejectsIsFifoThatDisagreesWithTheTopicName() {
        assertThatThrownBy(() -> SnsConfig.of(ARN, null, null, null, true, null))
                .hasMessageStartingWith("is_fifo: is true but topic 'orders' is not a FIFO topic");
        assertThatThrownBy(() -> SnsConfig.of(FIFO_ARN, null, null, null, false, null))
                .hasMessageStartingWith("is_fifo: is false but topic 'orders.fifo' is a FIFO topic");
        assertThat(SnsConfig.of(FIFO_ARN, null, null, null, true, null).fifo()).isTrue();
    }

    @Test
    void rejectsMissingOrMalformedArn() {
        assertThatThrownBy(() -> SnsConfig.of(" ", null, null, null, null, null))
                .hasMessageStartingWith("topic_arn: is required");
        assertThatThrownBy(() -> SnsConfig.of("orders", null, null, null, null, null))
                .hasMessageStartingWith("topic_arn: 'orders' is not an SNS topic ARN");
        assertThatThrownBy(
                        () -> SnsConfig.of("arn:aws:sqs:us-east-1:123456789012:orders", null, null, null, null, null))
                .hasMessageStartingWith("topic_arn: ");
        assertThatThrownBy(() -> SnsConfig.of("arn:aws:sns:us-east-1:1234:orders", null, null, null, null, null))
                .hasMessageStartingWith("topic_arn: ");
        assertThatThrownBy(() -> SnsConfig.of("arn:aws:sns:us-east-1:123456789012:a.b", null, null, null, null, null))
                .hasMessageStartingWith("topic_arn: ");
        assertThat(SnsConfig.of("arn:aws:sns:us-east-1:123456789012:" + "t".repeat(256), null, null, null, null, null)
                        .topicName())
                .hasSize(256);
        assertThatThrownBy(() -> SnsConfig.of(
                        "arn:aws:sns:us-east-1:123456789012:" + "t".repeat(257), null, null, null, null, null))
                .hasMessageStartingWith("topic_arn: ");
    }

    @Test
    void keysAreSetTogetherOrNotAtAll() {
        assertThatThrownBy(() -> SnsConfig.of(ARN, null, "AKIAEXAMPLE", null, null, null))
                .hasMessageStartingWith("secret_access_key: set access_key_id and secret_access_key together");
        assertThatThrownBy(() -> SnsConfig.of(ARN, null, null, "s3cret", null, null))
                .hasMessageStartingWith("access_key_id: ")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void validatesEndpointUrlAndTimeout() {
        assertThat(SnsConfig.of(ARN, null, "a", "b", null, "http://127.0.0.1:4566")
                        .endpointUrl())
                .isEqualTo(URI.create("http://127.0.0.1:4566"));
        assertThatThrownBy(() -> SnsConfig.of(ARN, null, null, null, null, "localhost:4566"))
                .hasMessageStartingWith("endpoint_url: must start with https:// or http://");
        assertThatThrownBy(() -> SnsConfig.of(ARN, null, null, null, null, null, Duration.ofMillis(0)))
                .hasMessage("request_timeout_ms: must be positive, got 0 ms");
    }

    @Test
    void toString_hidesSecret() {
        assertThat(SnsConfig.of(ARN, null, "AKIAEXAMPLE", "s3cret", null, null).toString())
                .contains("secretAccessKey=***")
                .doesNotContain("s3cret");
    }

    @Test
    void routedTopicArn_isCheckedAsTopicArnIs_inTheSinksRegionAndOfItsType() {
        SnsConfig fifo = SnsConfig.of(FIFO_ARN, null, null, null, null, null);
        String other = "arn:aws:sns:eu-west-2:210987654321:audit.fifo";

        assertThat(fifo.routedTopicArn(other)).isEqualTo(other);
        assertThatThrownBy(() -> fifo.routedTopicArn("audit"))
                .hasMessageStartingWith("topic_arn: 'audit' is not an SNS topic ARN");
        assertThatThrownBy(() -> fifo.routedTopicArn("arn:aws:sns:us-east-1:210987654321:audit.fifo"))
                .hasMessage("topic_arn: is in region 'us-east-1', but the sink signs its requests for region"
                        + " 'eu-west-2'; route to topics of that region");
        assertThatThrownBy(() -> fifo.routedTopicArn("arn:aws:sns:eu-west-2:210987654321:audit"))
                .hasMessageStartingWith("topic_arn: is not a FIFO topic");
        assertThatThrownBy(() -> SnsConfig.of(ARN, null, null, null, null, null).routedTopicArn(other))
                .hasMessageStartingWith("topic_arn: is a FIFO topic");
    }

    @Test
    void snsId_keepsPrintableAsciiUpTo128_andHashesTheRest() {
        assertThat(SnsSink.snsId("public.orders")).isEqualTo("public.orders");
        assertThat(SnsSink.snsId("k".repeat(128))).isEqualTo("k".repeat(128));
        assertThat(SnsSink.snsId("k".repeat(129))).hasSize(64).matches("[0-9a-f]+");
        assertThat(SnsSink.snsId("with space")).hasSize(64);
        assertThat(SnsSink.snsId("é")).isEqualTo(SnsSink.snsId("é")).hasSize(64);
    }
}
