package dev.sluice.server.api;

import dev.sluice.server.store.ApiKeyTable.ApiKey;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/** {@code /api/api_keys}: list, create (the token is shown once) and delete API keys; the last one stays. */
final class ApiKeysApi {
    private final ApiTokens tokens;

    ApiKeysApi(ApiTokens tokens) {
        this.tokens = tokens;
    }

    void routes(java.util.List<ManagementApi.Route> out) {
        out.add(new ManagementApi.Route("GET", "/api/api_keys", this::list));
        out.add(new ManagementApi.Route("POST", "/api/api_keys", this::create));
        out.add(new ManagementApi.Route("DELETE", "/api/api_keys/{id_or_name}", this::delete));
    }

    private static Map<String, Object> render(ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id().toString());
        m.put("name", k.name());
        m.put("inserted_at", k.insertedAt().toString());
        return m;
    }

    private void list(Context ctx) {
        Pages.inMemory(ctx, tokens.list(), k -> new Pages.Cursor(k.insertedAt(), k.id()), ApiKeysApi::render);
    }

    private void create(Context ctx) throws SQLException {
        var body = Requests.object(ctx);
        for (String f : body.propertyNames()) {
            if (!f.equals("name") && !f.equals("token")) {
                throw ApiException.invalid(f, "unknown field; accepted: name, token");
            }
        }
        String name = Objects.requireNonNull(ResourceRoutes.checkName(body, true));
        JsonNode given = body.get("token");
        ApiTokens.Created created;
        if (given == null || given.isNull()) {
            created = tokens.create(name);
        } else {
            // Sequin lets the caller choose the token, so that a token known in advance (in CI, say) can be made valid.
            if (!given.isString()) {
                throw ApiException.invalid("token", "expected a string, got " + Requests.kind(given));
            }
            String problem = ApiTokens.checkToken(given.asString());
            if (problem != null) {
                throw ApiException.invalid("token", problem);
            }
            if (tokens.verify(given.asString())) {
                throw ApiException.invalid("token", "is already the token of another API key");
            }
            created = tokens.create(name, given.asString());
        }
        if (created == null) {
            throw ApiException.nameTaken("API key", name);
        }
        Map<String, Object> out = render(created.key());
        out.put("token", created.token());
        ctx.status(201).json(out);
    }

    private void delete(Context ctx) throws SQLException {
        String idOrName = ctx.pathParam("id_or_name");
        ApiKey key = tokens.list().stream()
                .filter(k ->
                        k.id().toString().equalsIgnoreCase(idOrName) || k.name().equals(idOrName))
                .findFirst()
                .orElseThrow(() -> ApiException.notFound("API key", Requests.clip(idOrName)));
        if (tokens.list().size() == 1) {
            throw ApiException.conflict("cannot delete the last API key: create another one first");
        }
        tokens.delete(key.id());
        ctx.json(Map.of("id", key.id().toString(), "deleted", true, "success", true));
    }
}
