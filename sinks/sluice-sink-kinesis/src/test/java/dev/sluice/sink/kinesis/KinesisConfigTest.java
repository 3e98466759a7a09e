package dev.sluice.sink.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KinesisConfigTest {
    private static final String ARN = "arn:aws:kinesis:eu-west-2:123456789012:stream/orders";

    @Test
    void of_infersRegionFromArn() {
        KinesisConfig config = KinesisConfig.of(ARN, null, null, null, null);
        assertThat(config.region()).isEqualTo("eu-west-2");
        assertThat(config.streamName()).isEqualTo("orders");
        assertThat(config.requestTimeout()).isEqualTo(KinesisConfig.DEFAULT_REQUEST_TIMEOUT);
        assertThat(KinesisConfig.of("arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b-c_d", " ", null, null, null)
                        .region())
                .isEqualTo("cn-north-1");
    }

    @Test
    void rejectsRegionDifferentFromArn() {
        assertThatThrownBy(() -> KinesisConfig.of(ARN, "us-east-1", null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("region: 'us-east-1' differs from the stream's region 'eu-west-2'");
        assertThat(KinesisConfig.of(ARN, "eu-west-2", null, null, null).region())
                .isEqualTo("eu-west-2");
    }

    @Test
    void rejectsMissingOrMalformedArn() {
        assertThatThrownBy(() -> KinesisConfig.of("", null, null, null, null))
                .hasMessageStartingWith("stream_arn: is required");
        assertThatThrownBy(() -> KinesisConfig.of("orders", null, null, null, null))
                .hasMessageStartingWith("stream_arn: 'orders' is not a Kinesis stream ARN");
        assertThatThrownBy(
                        () -> KinesisConfig.of("arn:aws:sqs:us-east-1:123456789012:stream/x", null, null, null, null))
                .hasMessageStartingWith("stream_arn: ");
        assertThatThrownBy(() -> KinesisConfig.of("arn:aws:kinesis:us-east-1:1234:stream/x", null, null, null, null))
                .hasMessageStartingWith("stream_arn: ");
    }

    @Test
    void keysAreSetTogetherOrNotAtAll() {
        assertThatThrownBy(() -> KinesisConfig.of(ARN, null, "AKIAEXAMPLE", null, null))
                .hasMessageStartingWith("secret_access_key: set access_key_id and secret_access_key together");
        assertThatThrownBy(() -> KinesisConfig.of(ARN, null, null, "s3cret", null))
                .hasMessageStartingWith("access_key_id: ")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void validatesEndpointUrlAndTimeout() {
        assertThat(KinesisConfig.of(ARN, null, "a", "b", "http://127.0.0.1:4568")
                        .endpointUrl())
                .isEqualTo(URI.create("http://127.0.0.1:4568"));
        assertThatThrownBy(() -> KinesisConfig.of(ARN, null, null, null, "localhost:4568"))
                .hasMessageStartingWith("endpoint_url: must start with https:// or http://");
        assertThatThrownBy(() -> KinesisConfig.of(ARN, null, null, null, null, Duration.ofMillis(-1)))
                .hasMessage("request_timeout_ms: must be positive, got -1 ms");
    }

    @Test
    void toString_hidesSecret() {
        assertThat(KinesisConfig.of(ARN, null, "AKIAEXAMPLE", "s3cret", null).toString())
                .contains("secretAccessKey=***")
                .doesNotContain("s3cret");
    }

    @Test
    void partitionKey_hashesKeysOver256Utf8Bytes() {
        assertThat(KinesisSink.partitionKey("public.orders")).isEqualTo("public.orders");
        assertThat(KinesisSink.partitionKey("é".repeat(128))).isEqualTo("é".repeat(128));
        assertThat(KinesisSink.partitionKey("é".repeat(129))).hasSize(64).matches("[0-9a-f]+");
        assertThat(KinesisSink.partitionKey("k".repeat(257))).isEqualTo(KinesisSink.partitionKey("k".repeat(257)));
    }

    @Test
    void routedStreamArn_isCheckedAsStreamArnIs_inTheSinksRegion() {
        KinesisConfig config = KinesisConfig.of(ARN, null, null, null, null);
        String other = "arn:aws:kinesis:eu-west-2:210987654321:stream/audit";

        assertThat(config.routedStreamArn(other)).isEqualTo(other);
        assertThatThrownBy(() -> config.routedStreamArn("audit"))
                .hasMessageStartingWith("stream_arn: 'audit' is not a Kinesis stream ARN");
        assertThatThrownBy(() -> config.routedStreamArn(" " + other)).hasMessageStartingWith("stream_arn: ");
        assertThatThrownBy(() -> config.routedStreamArn("arn:aws:kinesis:us-east-1:210987654321:stream/audit"))
                .hasMessage("stream_arn: is in region 'us-east-1', but the sink signs its requests for region"
                        + " 'eu-west-2'; route to streams of that region");
    }
}
