package dev.sluice.server.api;

import dev.sluice.server.notify.EventType;
import dev.sluice.server.notify.Subscription;
import dev.sluice.server.notify.Webhooks;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.net.URI;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/webhooks}: notification webhook subscriptions — list, create (the secret is shown once), get, update,
 * delete, {@code test} (one signed {@code webhook.test} event, answered with its outcome) and {@code rotate_secret}.
 * See docs/webhooks.md.
 */
final class WebhooksApi {
    private static final String BASE = "/api/webhooks";
    private static final String ONE = BASE + "/{id_or_name}";
    private static final Set<String> FIELDS = Set.of(
            "name", "url", "events", "sink", "database", "lag_threshold_bytes", "lag_threshold_seconds", "enabled");
    /** Fields of a response, ignored in an update so that a response can be sent back. */
    private static final Set<String> READ_ONLY = Set.of("id", "last_delivery", "inserted_at", "updated_at");

    private final StoredConfig stored;
    private final @Nullable Webhooks webhooks;

    WebhooksApi(StoredConfig stored, @Nullable Webhooks webhooks) {
        this.stored = stored;
        this.webhooks = webhooks;
    }

    void routes(List<ManagementApi.Route> out) {
        ManagementApi.collection(out, BASE, ONE, this::list, this::create, this::get, this::update, this::delete);
        out.add(new ManagementApi.Route("POST", ONE + "/test", this::test));
        out.add(new ManagementApi.Route("POST", ONE + "/rotate_secret", this::rotate));
    }

    private Webhooks webhooks() {
        if (webhooks == null) {
            throw new IllegalStateException("notification webhooks are not running on this server");
        }
        return webhooks;
    }

    private void list(Context ctx) throws SQLException {
        Pages.inMemory(ctx, webhooks().list(), s -> new Pages.Cursor(s.insertedAt(), s.id()), WebhooksApi::render);
    }

    private void get(Context ctx) throws SQLException {
        ctx.json(render(find(ctx)));
    }

    private void create(Context ctx) throws SQLException {
        ObjectNode body = Requests.object(ctx);
        Subscription.Spec spec = parse(body, null, stored.snapshot());
        Webhooks.Created created = webhooks().create(spec);
        if (created == null) {
            throw ApiException.nameTaken("webhook", spec.name());
        }
        Map<String, Object> out = render(created.subscription());
        out.put("secret", created.secret());
        ctx.status(201).json(out);
    }

    private void update(Context ctx) throws SQLException {
        Subscription old = find(ctx);
        ObjectNode body = Requests.object(ctx);
        Subscription.Spec spec = parse(body, old.spec(), stored.snapshot());
        if (!webhooks().update(old.id(), spec)) {
            throw ApiException.nameTaken("webhook", spec.name());
        }
        ctx.json(render(webhooks().get(old.id())));
    }

    private void delete(Context ctx) throws SQLException {
        Subscription s = find(ctx);
        webhooks().delete(s.id());
        ctx.json(Map.of("id", s.publicId(), "deleted", true, "success", true));
    }

    private void test(Context ctx) throws SQLException {
        Webhooks.TestResult r = webhooks().test(find(ctx));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("delivered", r.delivered());
        out.put("status", r.status());
        out.put("error", r.error());
        out.put("duration_ms", r.duration().toMillis());
        ctx.json(out);
    }

    private void rotate(Context ctx) throws SQLException {
        Subscription s = find(ctx);
        Webhooks.Created rotated = webhooks().rotateSecret(s.id());
        if (rotated == null) {
            throw ApiException.notFound("webhook", s.publicId());
        }
        Map<String, Object> out = render(rotated.subscription());
        out.put("secret", rotated.secret());
        ctx.json(out);
    }

    private Subscription find(Context ctx) throws SQLException {
        String idOrName = ctx.pathParam("id_or_name");
        UUID id = Subscription.parseId(idOrName);
        if (id != null) {
            Subscription s = webhooks().get(id);
            if (s != null) {
                return s;
            }
        }
        for (Subscription s : webhooks().list()) {
            if (s.name().equals(idOrName)) {
                return s;
            }
        }
        throw ApiException.notFound("webhook", Requests.clip(idOrName));
    }

    private static Map<String, Object> render(@Nullable Subscription s) {
        if (s == null) {
            throw ApiException.notFound("webhook", "?");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.publicId());
        m.put("name", s.name());
        m.put("url", s.url());
        m.put("events", s.events());
        m.put("sink", s.sinkId() == null ? null : s.sinkId().toString());
        m.put("database", s.databaseId() == null ? null : s.databaseId().toString());
        m.put("lag_threshold_bytes", s.lagThresholdBytes());
        m.put("lag_threshold_seconds", s.lagThresholdSeconds());
        m.put("enabled", s.enabled());
        Subscription.LastDelivery d = s.lastDelivery();
        if (d == null) {
            m.put("last_delivery", null);
        } else {
            Map<String, Object> ld = new LinkedHashMap<>();
            ld.put("at", d.at().toString());
            ld.put("event", d.event());
            ld.put("status", d.status());
            ld.put("error", d.error());
            m.put("last_delivery", ld);
        }
        m.put("inserted_at", s.insertedAt().toString());
        m.put("updated_at", s.updatedAt().toString());
        return m;
    }

    /**
     * The subscription {@code body} describes: on top of {@code base} for an update (given fields replace), or from
     * scratch for a create. Every wrong field is reported at once, as a 422.
     */
    private static Subscription.Spec parse(ObjectNode body, Subscription.@Nullable Spec base, ConfigSnapshot snap) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (String f : body.propertyNames()) {
            if (f.equals("secret")) {
                error(errors, f, "is generated by the server: use POST /api/webhooks/{id}/rotate_secret for a new one");
            } else if (!FIELDS.contains(f) && !(base != null && READ_ONLY.contains(f))) {
                error(errors, f, "unknown field; accepted: " + String.join(", ", new java.util.TreeSet<>(FIELDS)));
            }
        }
        String name = base == null ? null : base.name();
        if (body.has("name") || base == null) {
            try {
                name = ResourceRoutes.checkName(body, true);
            } catch (ApiException e) {
                errors.putAll(e.validationErrors);
            }
        }
        String url = base == null ? null : base.url();
        if (body.has("url") || base == null) {
            url = url(body.get("url"), errors);
        }
        List<String> events = base == null ? null : base.events();
        if (body.has("events") || base == null) {
            events = events(body.get("events"), errors);
        }
        UUID sink = base == null ? null : base.sinkId();
        if (body.has("sink")) {
            sink = resource(body.get("sink"), "sink", Kind.SINK, snap, errors);
        }
        UUID database = base == null ? null : base.databaseId();
        if (body.has("database")) {
            database = resource(body.get("database"), "database", Kind.DATABASE, snap, errors);
        }
        if (sink != null && database != null) {
            error(errors, "sink", "give a sink or a database, not both (a sink's events carry its database)");
        }
        Long lagBytes = base == null ? null : base.lagThresholdBytes();
        if (body.has("lag_threshold_bytes")) {
            lagBytes = positive(body.get("lag_threshold_bytes"), "lag_threshold_bytes", errors);
        }
        Long lagSeconds = base == null ? null : base.lagThresholdSeconds();
        if (body.has("lag_threshold_seconds")) {
            lagSeconds = positive(body.get("lag_threshold_seconds"), "lag_threshold_seconds", errors);
        }
        boolean enabled = base == null || base.enabled();
        JsonNode e = body.get("enabled");
        if (e != null && !e.isNull()) {
            if (e.isBoolean()) {
                enabled = e.asBoolean();
            } else {
                error(errors, "enabled", "expected true or false, got " + Requests.kind(e));
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        return new Subscription.Spec(name, url, events, sink, database, lagBytes, lagSeconds, enabled);
    }

    private static void error(Map<String, List<String>> errors, String field, String message) {
        errors.computeIfAbsent(field, k -> new ArrayList<>()).add(message);
    }

    private static @Nullable String url(@Nullable JsonNode n, Map<String, List<String>> errors) {
        if (n == null || n.isNull()) {
            error(errors, "url", "required: the http or https URL events are POSTed to");
            return null;
        }
        if (!n.isString()) {
            error(errors, "url", "expected a string, got " + Requests.kind(n));
            return null;
        }
        String text = n.asString().strip();
        try {
            URI u = new URI(text);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                error(errors, "url", "must start with http:// or https://, got '" + Requests.clip(text) + "'");
                return null;
            }
            if (u.getHost() == null || u.getHost().isEmpty()) {
                error(errors, "url", "has no host: '" + Requests.clip(text) + "'");
                return null;
            }
            return text;
        } catch (java.net.URISyntaxException ex) {
            error(errors, "url", "is not a URL: " + Requests.clip(ex.getMessage()));
            return null;
        }
    }

    private static @Nullable List<String> events(@Nullable JsonNode n, Map<String, List<String>> errors) {
        String accepted = "accepted: \"*\" alone, or any of "
                + String.join(
                        ", ",
                        EventType.subscribable().stream()
                                .map(EventType::wireName)
                                .toList());
        if (n == null || n.isNull() || !n.isArray() || n.isEmpty()) {
            error(errors, "events", "required: a non-empty list of event types; " + accepted);
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode e : n) {
            if (!e.isString()) {
                error(errors, "events", "expected strings, got " + Requests.kind(e));
                return null;
            }
            String t = e.asString();
            if (!t.equals(EventType.ALL) && EventType.parse(t) == null) {
                error(errors, "events", "unknown event type '" + Requests.clip(t) + "'; " + accepted);
                return null;
            }
            out.add(t);
        }
        if (out.contains(EventType.ALL) && out.size() > 1) {
            error(errors, "events", "\"*\" means every event type: give it alone");
            return null;
        }
        return List.copyOf(out);
    }

    private static @Nullable UUID resource(
            JsonNode n, String field, Kind kind, ConfigSnapshot snap, Map<String, List<String>> errors) {
        if (n.isNull()) {
            return null;
        }
        if (!n.isString()) {
            error(errors, field, "expected the id or name of a " + field + ", got " + Requests.kind(n));
            return null;
        }
        int i = snap.indexOf(kind, n.asString());
        if (i < 0) {
            error(errors, field, "no " + field + " with id or name '" + Requests.clip(n.asString()) + "'");
            return null;
        }
        return snap.id(kind, i);
    }

    private static @Nullable Long positive(JsonNode n, String field, Map<String, List<String>> errors) {
        if (n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || n.asLong() < 1) {
            error(errors, field, "expected a whole number of 1 or more, or null, got " + Requests.clip(n.toString()));
            return null;
        }
        return n.asLong();
    }
}
