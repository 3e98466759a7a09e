package dev.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.server.fixture.ServerFixture;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the SDK sends and what it makes of the answers, seen through {@link FrontProxy}, a real HTTP server in front
 * of a live Sluice server: lazy paging, each error type, retries. Errors the server never gives (403) or cannot be
 * made to give on demand (429, 5xx) are answered by the proxy instead; all others come from the server itself.
 */
class TrafficIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static FrontProxy proxy;
    static SluiceClient client;

    @BeforeAll
    static void start() {
        sluice.start();
        proxy = sluice.closeAfter(FrontProxy.to(sluice.server().port()));
        client = SluiceClient.builder()
                .baseUrl(proxy.url())
                .apiToken(ServerFixture.TOKEN)
                .retryPolicy(Live.quickRetries())
                .build();
        for (int i = 0; i < 25; i++) {
            client.httpEndpoints()
                    .create(HttpEndpointRequest.builder()
                            .name("page-%02d".formatted(i))
                            .url("https://example.com/" + i)
                            .build());
        }
    }

    @AfterAll
    static void close() {
        client.close();
    }

    @BeforeEach
    void resetProxy() {
        proxy.reset();
    }

    private static long pages() {
        return proxy.count("GET", "/api/destinations/http_endpoints?");
    }

    @Test
    void stream_fetchesPagesOnlyAsConsumed() {
        Stream<HttpEndpoint> stream = client.httpEndpoints().stream(10);
        assertThat(pages()).as("building the stream sends nothing").isZero();

        List<String> firstFive = client.httpEndpoints().stream(10)
                .limit(5)
                .map(HttpEndpoint::name)
                .toList();
        assertThat(firstFive).containsExactly("page-00", "page-01", "page-02", "page-03", "page-04");
        assertThat(pages()).as("5 items of a 10-item page: one request").isEqualTo(1);

        proxy.reset();
        List<String> eleven = stream.limit(11).map(HttpEndpoint::name).toList();
        assertThat(eleven).hasSize(11).last().isEqualTo("page-10");
        assertThat(pages()).as("the 11th item needs the second page").isEqualTo(2);

        proxy.reset();
        List<String> all =
                client.httpEndpoints().stream(10).map(HttpEndpoint::name).toList();
        assertThat(all).hasSize(25).doesNotHaveDuplicates().isSorted();
        assertThat(pages()).as("25 items in pages of 10").isEqualTo(3);
        assertThat(proxy.seen())
                .extracting(FrontProxy.Seen::pathAndQuery)
                .first()
                .isEqualTo("/api/destinations/http_endpoints?limit=10");
    }

    @Test
    void list_returnsOnePageAndItsCursor() {
        Page<HttpEndpoint> first = client.httpEndpoints().list(10, null);
        assertThat(first.items()).hasSize(10);
        assertThat(first.hasMore()).isTrue();
        Page<HttpEndpoint> second = client.httpEndpoints().list(10, first.nextCursor());
        Page<HttpEndpoint> third = client.httpEndpoints().list(10, second.next().orElseThrow());
        assertThat(third.items()).hasSize(5);
        assertThat(third.nextCursor()).isNull();
        Set<String> ids = new HashSet<>();
        Stream.of(first, second, third).forEach(p -> p.items().forEach(e -> ids.add(e.id())));
        assertThat(ids).hasSize(25);
        assertThatThrownBy(() -> client.httpEndpoints().list(0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and 1000");
    }

    @Test
    void unauthorized_fromTheServer() {
        try (SluiceClient wrong = SluiceClient.builder()
                .baseUrl(Live.url(sluice))
                .apiToken("sluice_not_a_valid_token")
                .build()) {
            assertThatThrownBy(() -> wrong.sinks().list())
                    .isInstanceOfSatisfying(SluiceException.Unauthorized.class, e -> {
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.summary()).isEqualTo("invalid API token");
                        assertThat(e.getMessage()).contains("GET /api/sinks");
                    });
        }
        try (SluiceClient none = SluiceClient.fromEnv(
                java.util.Map.of("SLUICE_ENDPOINT", Live.url(sluice).toString()))) {
            assertThatThrownBy(() -> none.sinks().list())
                    .isInstanceOfSatisfying(
                            SluiceException.Unauthorized.class,
                            e -> assertThat(e.summary()).contains("missing API token"));
        }
    }

    @Test
    void notFound_validation_conflict_fromTheServer() {
        assertThatThrownBy(() -> client.sinks().get("no-such-sink"))
                .isInstanceOfSatisfying(SluiceException.NotFound.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.summary()).isEqualTo("no sink with id or name 'no-such-sink'");
                });
        assertThatThrownBy(() -> client.httpEndpoints()
                        .create(HttpEndpointRequest.builder()
                                .name("bad-one")
                                .url("https://example.com")
                                .set("bogus", 1)
                                .build()))
                .isInstanceOfSatisfying(SluiceException.Validation.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.fieldErrors()).containsOnlyKeys("bogus");
                    assertThat(e.summary()).startsWith("validation failed: bogus");
                });
        assertThatThrownBy(() -> client.httpEndpoints()
                        .create(HttpEndpointRequest.builder()
                                .name("page-00")
                                .url("https://example.com")
                                .build()))
                .isInstanceOfSatisfying(
                        SluiceException.Validation.class,
                        e -> assertThat(e.fieldErrors().get("name"))
                                .singleElement()
                                .asString()
                                .contains("has already been taken"));
        // The server's only key is the fixture's: the last key cannot be deleted.
        assertThatThrownBy(() -> client.apiKeys().delete("env"))
                .isInstanceOfSatisfying(SluiceException.Conflict.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.summary()).contains("last API key");
                });
    }

    @Test
    void forbidden_rateLimited_serverError_fromTheProxy_carryStatusSummaryAndRequestId() {
        try (SluiceClient once = SluiceClient.builder()
                .baseUrl(proxy.url())
                .apiToken(ServerFixture.TOKEN)
                .retryPolicy(RetryPolicy.none())
                .build()) {
            proxy.failNext(FrontProxy.status(403));
            assertThatThrownBy(() -> once.sinks().list()).isInstanceOfSatisfying(SluiceException.Forbidden.class, e -> {
                assertThat(e.status()).isEqualTo(403);
                assertThat(e.summary()).isEqualTo("injected 403 by the test proxy");
                assertThat(e.requestId()).hasValue("proxy-1");
            });
            proxy.failNext(FrontProxy.status(429, "Retry-After", "7"));
            assertThatThrownBy(() -> once.sinks().list())
                    .isInstanceOfSatisfying(
                            SluiceException.RateLimited.class,
                            e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(7)));
            proxy.failNext(FrontProxy.status(503));
            assertThatThrownBy(() -> once.sinks().list())
                    .isInstanceOfSatisfying(
                            SluiceException.ServerError.class,
                            e -> assertThat(e.status()).isEqualTo(503));
        }
    }

    @Test
    void transport_whenNothingListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (SluiceClient nowhere = SluiceClient.builder()
                .baseUrl("http://127.0.0.1:" + port)
                .retryPolicy(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5), 0))
                .build()) {
            assertThatThrownBy(() -> nowhere.sinks().list())
                    .isInstanceOfSatisfying(SluiceException.Transport.class, e -> {
                        assertThat(e.status()).isZero();
                        assertThat(e.requestId()).isEmpty();
                        assertThat(e.getMessage()).contains("after 3 attempt(s)");
                        assertThat(e.getCause()).isInstanceOf(java.io.IOException.class);
                    });
        }
    }

    @Test
    void everyErrorIsOneOfTheSealedTypes() {
        SluiceException e = catchSluice(() -> client.sinks().get("nope"));
        // Exhaustive without a default: the compiler checks the hierarchy is closed.
        String kind = switch (e) {
            case SluiceException.Unauthorized u -> "unauthorized";
            case SluiceException.Forbidden f -> "forbidden";
            case SluiceException.NotFound n -> "not found";
            case SluiceException.Conflict c -> "conflict";
            case SluiceException.Validation v -> "validation";
            case SluiceException.RateLimited r -> "rate limited";
            case SluiceException.ServerError s -> "server error";
            case SluiceException.Transport t -> "transport";
        };
        assertThat(kind).isEqualTo("not found");
    }

    private static SluiceException catchSluice(Runnable r) {
        try {
            r.run();
        } catch (SluiceException e) {
            return e;
        }
        throw new AssertionError("no SluiceException");
    }

    @Test
    void retries_getAfterTwo503s() {
        proxy.failNext(FrontProxy.status(503), FrontProxy.status(502));
        assertThat(client.httpEndpoints().get("page-03").name()).isEqualTo("page-03");
        assertThat(proxy.count("GET", "/api/destinations/http_endpoints/page-03"))
                .isEqualTo(3);
    }

    @Test
    void retries_createWithTheSameIdempotencyKey() {
        proxy.failNext(FrontProxy.status(503), FrontProxy.status(504));
        HttpEndpoint e = client.httpEndpoints()
                .create(HttpEndpointRequest.builder()
                        .name("retried")
                        .url("https://example.com/retried")
                        .build());
        assertThat(e.name()).isEqualTo("retried");
        List<FrontProxy.Seen> posts =
                proxy.seen().stream().filter(s -> s.method().equals("POST")).toList();
        assertThat(posts).hasSize(3);
        assertThat(posts)
                .extracting(FrontProxy.Seen::idempotencyKey)
                .doesNotContain("")
                .containsOnly(posts.get(0).idempotencyKey());
        client.httpEndpoints().delete("retried");
    }

    @Test
    void idempotencyKey_aRetryAfterALostAnswerCreatesNothingNew() {
        proxy.failNext(FrontProxy.lostAnswer(503));
        // The first attempt created it and its answer was lost; the retry, with the same key, gets that answer.
        HttpEndpoint e = client.httpEndpoints()
                .create(HttpEndpointRequest.builder()
                        .name("lost-answer")
                        .url("https://example.com/lost")
                        .build());
        assertThat(e.name()).isEqualTo("lost-answer");
        assertThat(client.httpEndpoints().stream().filter(x -> x.name().equals("lost-answer")))
                .hasSize(1);
        client.httpEndpoints().delete("lost-answer");
    }

    @Test
    void noRetry_forPostWithoutKey_norForNonTransientStatus_norAfterMaxAttempts() {
        try (SluiceClient keyless = SluiceClient.builder()
                .baseUrl(proxy.url())
                .apiToken(ServerFixture.TOKEN)
                .retryPolicy(Live.quickRetries())
                .idempotencyKeys(false)
                .build()) {
            proxy.failNext(FrontProxy.status(503));
            assertThatThrownBy(() -> keyless.apiKeys().create("never")).isInstanceOf(SluiceException.ServerError.class);
            assertThat(proxy.count("POST", "/api/api_keys")).isEqualTo(1);
            assertThat(proxy.seen().getFirst().idempotencyKey()).isEmpty();
        }
        proxy.reset();
        proxy.failNext(FrontProxy.status(500));
        assertThatThrownBy(() -> client.sinks().list()).isInstanceOf(SluiceException.ServerError.class);
        assertThat(pagesOf("/api/sinks")).isEqualTo(1);

        proxy.reset();
        proxy.failNext(FrontProxy.status(503), FrontProxy.status(503), FrontProxy.status(503), FrontProxy.status(503));
        assertThatThrownBy(() -> client.sinks().list())
                .isInstanceOfSatisfying(
                        SluiceException.ServerError.class,
                        e -> assertThat(e.getMessage()).contains("(attempt 4)"));
        assertThat(pagesOf("/api/sinks")).isEqualTo(4);
    }

    private static long pagesOf(String path) {
        return proxy.count("GET", path);
    }

    @Test
    void rateLimited_honoursRetryAfter_butNotBeyondMaxDelay() {
        proxy.failNext(FrontProxy.status(429, "Retry-After", "1"));
        long start = System.nanoTime();
        assertThat(client.sinks().list().items()).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(pagesOf("/api/sinks")).isEqualTo(2);

        proxy.reset();
        proxy.failNext(FrontProxy.status(429, "Retry-After", "60"));
        assertThatThrownBy(() -> client.sinks().list())
                .isInstanceOfSatisfying(
                        SluiceException.RateLimited.class,
                        e -> assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(1)));
        assertThat(pagesOf("/api/sinks"))
                .as("60 s is beyond maxDelay: not waited for")
                .isEqualTo(1);
    }

    @Test
    void callersHttpClientAndExecutor_areUsed() {
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        try (java.net.http.HttpClient mine = java.net.http.HttpClient.newHttpClient();
                SluiceClient c = SluiceClient.builder()
                        .baseUrl(proxy.url())
                        .apiToken(ServerFixture.TOKEN)
                        .httpClient(mine)
                        .executor(task -> {
                            ran.incrementAndGet();
                            Thread.ofVirtual().start(task);
                        })
                        .build()) {
            assertThat(c.httpEndpoints().getAsync("page-01").join().name()).isEqualTo("page-01");
            assertThat(ran).hasValue(1);
        }
    }
}
