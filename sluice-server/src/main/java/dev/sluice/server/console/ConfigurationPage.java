package dev.sluice.server.console;

import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.notify.Subscription;
import dev.sluice.server.store.JobTable;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Configuration: plan and apply a pasted sluice.yaml (showing what would change before it does), export the current
 * one, HTTP endpoints, API keys (a new token shown once), notification webhooks, and replication jobs with their
 * progress. Everything it changes goes through {@code /api}.
 */
final class ConfigurationPage implements ConsolePage {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int JOBS_SHOWN = 20;

    /** An HTTP endpoint: its name and URL (headers are not shown: some are secrets). */
    record EndpointRow(String name, String url) {}

    /** An API key: never its token, which only its hash knows. */
    record KeyRow(String id, String name, Instant createdAt) {}

    /** A notification webhook subscription. */
    record WebhookRow(
            String id,
            String name,
            String url,
            String events,
            boolean enabled,
            @Nullable String last) {}

    /**
     * A replication job.
     *
     * @param percent rows copied of the estimate, 0–100; negative when the job has no such estimate
     */
    record JobRow(
            String id,
            String command,
            String status,
            @Nullable String phase,
            long rowsCopied,
            double percent,
            @Nullable String error,
            Instant createdAt) {
        boolean running() {
            return status.equals("queued") || status.equals("running");
        }
    }

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/configuration", this::page);
    }

    private void page(Context ctx, ConsoleRequest r) throws Exception {
        ConsoleServices s = r.services();
        List<EndpointRow> endpoints = s.stored().snapshot().config().httpEndpoints().stream()
                .map(e -> new EndpointRow(e.name(), redacted(e)))
                .toList();
        List<KeyRow> keys = s.tokens().list().stream()
                .map((dev.sluice.server.store.ApiKeyTable.ApiKey k) ->
                        new KeyRow(k.id().toString(), k.name(), k.insertedAt()))
                .toList();
        List<WebhookRow> webhooks = s.webhooks() == null
                ? List.of()
                : s.webhooks().list().stream().map(ConfigurationPage::webhook).toList();
        List<JobRow> jobs = s.stored().metadata().jobs().list(null, null, null, JOBS_SHOWN).stream()
                .map(ConfigurationPage::job)
                .toList();
        r.html(
                ctx,
                "configuration.jte",
                "endpoints",
                endpoints,
                "keys",
                keys,
                "webhooks",
                webhooks,
                "webhooksOn",
                s.webhooks() != null,
                "jobs",
                jobs);
    }

    /** The URL without user info or query, which may carry credentials. */
    private static String redacted(HttpEndpointConfig e) {
        java.net.URI u = e.url();
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())
                + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    private static WebhookRow webhook(Subscription w) {
        return new WebhookRow(
                w.publicId(),
                w.name(),
                w.url(),
                String.join(", ", w.events()),
                w.enabled(),
                w.lastDelivery() == null
                        ? null
                        : w.lastDelivery().event() + " at " + w.lastDelivery().at() + ": "
                                + (w.lastDelivery().error() != null
                                        ? w.lastDelivery().error()
                                        : "HTTP " + w.lastDelivery().status()));
    }

    private static JobRow job(JobTable.JobRow j) {
        String phase = null;
        long copied = 0;
        double percent = -1;
        if (j.progress() != null) {
            JsonNode p = JSON.readTree(j.progress());
            phase = p.path("phase").isString() ? p.path("phase").asString() : null;
            copied = p.path("rows_copied").asLong(0);
            long estimate = 0;
            for (JsonNode t : p.path("tables")) {
                estimate += t.path("rows_estimate").asLong(0);
            }
            if (p.has("tables_total") && p.path("tables_total").asLong(0) > 0) {
                percent = 100.0
                        * p.path("tables_done").asLong(0)
                        / p.path("tables_total").asLong();
            } else if (estimate > 0) {
                percent = Math.min(100, 100.0 * copied / estimate);
            }
        }
        if (j.status().equals("completed")) {
            percent = 100;
        }
        return new JobRow(j.id().toString(), j.command(), j.status(), phase, copied, percent, j.error(), j.createdAt());
    }
}
