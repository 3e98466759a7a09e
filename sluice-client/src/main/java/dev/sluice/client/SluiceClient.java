package dev.sluice.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * The Sluice API client: one per server, shared by all threads.
 *
 * {@snippet class=dev.sluice.client.ReadmeExamplesIT region=connect}
 *
 * <p>Each resource group ({@link #sinks()}, {@link #databases()}, ...) has the calls of its API: {@code list}
 * (one page), {@code stream} (every item, fetched page by page as consumed), {@code get}, {@code create},
 * {@code update}, {@code delete}, its actions, and {@code Async} variants of the common ones. Errors are
 * {@link SluiceException}s; transient ones are retried by the {@link RetryPolicy}; calls that destroy or rewrite
 * data need {@link Confirm#YES}.
 *
 * <p>Concurrency: thread-safe and immutable. Calls block their thread; {@code Async} calls run on the
 * {@linkplain Builder#executor executor} (virtual threads by default). {@link #close()} releases the HTTP client
 * the client made (not one given to the builder).
 */
public final class SluiceClient implements AutoCloseable {
    /** Where {@link #fromEnv()} connects when {@code SLUICE_ENDPOINT} is not set. */
    public static final String DEFAULT_ENDPOINT = "http://localhost:7376";

    private final ApiHttp http;
    private final @Nullable HttpClient owned;
    private final Databases databases;
    private final Sinks sinks;
    private final HttpEndpoints httpEndpoints;
    private final Functions functions;
    private final Jobs jobs;
    private final Webhooks webhooks;
    private final ApiKeys apiKeys;

    private SluiceClient(ApiHttp http, @Nullable HttpClient owned) {
        this.http = http;
        this.owned = owned;
        this.sinks = new Sinks(http);
        this.databases = new Databases(http, sinks);
        this.httpEndpoints = new HttpEndpoints(http);
        this.functions = new Functions(http);
        this.jobs = new Jobs(http);
        this.webhooks = new Webhooks(http);
        this.apiKeys = new ApiKeys(http);
    }

    /** A builder with the defaults: {@value #DEFAULT_ENDPOINT}, no token, {@link RetryPolicy#defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A client configured from the environment: {@code SLUICE_ENDPOINT} (default {@value #DEFAULT_ENDPOINT}) and
     * {@code SLUICE_API_KEY} (default none: calls then answer 401), the names Sluice's CLI and Terraform provider
     * read. Works with nothing set.
     */
    public static SluiceClient fromEnv() {
        return fromEnv(System.getenv());
    }

    static SluiceClient fromEnv(Map<String, String> env) {
        Builder b = builder();
        String endpoint = env.get("SLUICE_ENDPOINT");
        if (endpoint != null && !endpoint.isBlank()) {
            b.baseUrl(endpoint.strip());
        }
        String key = env.get("SLUICE_API_KEY");
        if (key != null && !key.isBlank()) {
            b.apiToken(key.strip());
        }
        return b.build();
    }

    /** The server's base URL. */
    public URI baseUrl() {
        return http.base();
    }

    /** {@code /api/postgres_databases}. */
    public Databases databases() {
        return databases;
    }

    /** {@code /api/sinks}. */
    public Sinks sinks() {
        return sinks;
    }

    /** {@code /api/destinations/http_endpoints}. */
    public HttpEndpoints httpEndpoints() {
        return httpEndpoints;
    }

    /** {@code /api/sinks/{id_or_name}/backfills}: the backfills of sink {@code sinkIdOrName}. */
    public Backfills backfills(String sinkIdOrName) {
        return new Backfills(http, sinkIdOrName);
    }

    /** {@code /api/functions}. */
    public Functions functions() {
        return functions;
    }

    /** {@code /api/jobs}. */
    public Jobs jobs() {
        return jobs;
    }

    /** {@code /api/webhooks}. */
    public Webhooks webhooks() {
        return webhooks;
    }

    /** {@code /api/api_keys}. */
    public ApiKeys apiKeys() {
        return apiKeys;
    }

    /** {@code /api/sinks/{id_or_name}/messages}: the failed messages of sink {@code sinkIdOrName}. */
    public Messages messages(String sinkIdOrName) {
        return new Messages(http, sinkIdOrName);
    }

    /** Releases the HTTP client this client made; a client given to the builder is left open. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    /**
     * Configures a {@link SluiceClient}. Each setter checks its value at once, and contradictions (timeouts for a
     * caller's {@link HttpClient}, which has its own) are refused. Not thread-safe.
     */
    public static final class Builder {
        private URI baseUrl = URI.create(DEFAULT_ENDPOINT);
        private @Nullable String token;
        private @Nullable Duration connectTimeout;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private RetryPolicy retry = RetryPolicy.defaults();
        private @Nullable HttpClient httpClient;
        private @Nullable Executor executor;
        private boolean idempotencyKeys = true;

        private Builder() {}

        /** The server, {@code http(s)://host:port}; default {@value #DEFAULT_ENDPOINT}. */
        public Builder baseUrl(String baseUrl) {
            return baseUrl(URI.create(Objects.requireNonNull(baseUrl, "baseUrl")));
        }

        /** The server, {@code http(s)://host:port}. */
        public Builder baseUrl(URI baseUrl) {
            String scheme = baseUrl.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || baseUrl.getHost() == null) {
                throw new IllegalArgumentException("baseUrl must be http(s)://host[:port], got '" + baseUrl + "'");
            }
            this.baseUrl = baseUrl;
            return this;
        }

        /** The API token, sent as {@code Authorization: Bearer <token>}. */
        public Builder apiToken(String token) {
            if (token == null || token.isBlank() || token.chars().anyMatch(c -> c <= ' ')) {
                throw new IllegalArgumentException("apiToken must be non-empty without spaces or control characters");
            }
            this.token = token;
            return this;
        }

        /** How long to wait for a connection (default: the JDK's, none). Not with {@link #httpClient}. */
        public Builder connectTimeout(Duration timeout) {
            if (httpClient != null) {
                throw new IllegalStateException("an HttpClient was given: set the connect timeout on it instead");
            }
            this.connectTimeout = positive("connectTimeout", timeout);
            return this;
        }

        /** How long one attempt of a call may take, answer included (default 30 s). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("requestTimeout", timeout);
            return this;
        }

        /** When to retry (default {@link RetryPolicy#defaults()}; {@link RetryPolicy#none()} turns retries off). */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retry = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * The HTTP client to send with (its connect timeout, proxy, TLS and executor apply); the SDK's client does
         * not close it.
         */
        public Builder httpClient(HttpClient client) {
            if (connectTimeout != null) {
                throw new IllegalStateException(
                        "connectTimeout was already set to " + connectTimeout + ": set it on the HttpClient instead");
            }
            this.httpClient = Objects.requireNonNull(client, "client");
            return this;
        }

        /** Where {@code Async} calls run (default: a virtual thread each). */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Whether every create and action ({@code POST}) carries a random {@code Idempotency-Key} (default true),
         * which lets the server answer a repeated request with the first answer, and so lets the client retry it.
         * Without keys, POSTs are never retried.
         */
        public Builder idempotencyKeys(boolean enabled) {
            this.idempotencyKeys = enabled;
            return this;
        }

        public SluiceClient build() {
            HttpClient client = httpClient;
            HttpClient owned = null;
            if (client == null) {
                HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER);
                if (connectTimeout != null) {
                    b.connectTimeout(connectTimeout);
                }
                client = b.build();
                owned = client;
            }
            Executor run = executor != null
                    ? executor
                    : task -> Thread.ofVirtual().name("sluice-client").start(task);
            return new SluiceClient(
                    new ApiHttp(baseUrl, token, client, requestTimeout, retry, idempotencyKeys, run), owned);
        }

        private static Duration positive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + d);
            }
            return d;
        }
    }
}
