package dev.sluice.testkit.fakes;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A protocol fake of a Typesense server, built from Typesense's API reference (typesense.org/docs, "Documents" and
 * "Collections", and "API keys" for the header), for the sinks that no real server can be started for here. It holds
 * collections of documents in memory and keeps them across {@link #stop()} and {@link #restart()}.
 *
 * <p>What it answers, as the reference describes:
 *
 * <ul>
 *   <li>every path but {@code GET /health} needs the {@code X-TYPESENSE-API-KEY} header (or the {@code
 *       x-typesense-api-key} query parameter) to equal the key: else {@code 401 {"message": "Forbidden - a valid
 *       `x-typesense-api-key` header must be sent."}};
 *   <li>{@code GET /collections/{c}}: the collection, or {@code 404 {"message": "Not Found"}}; {@code POST
 *       /collections}: creates one ({@code 201}), {@code 409} when it exists;
 *   <li>{@code POST /collections/{c}/documents/import?action=create|upsert|update|emplace} with a JSONL body: always
 *       {@code 200} once the collection exists, with one JSON line per document line, in order: {@code
 *       {"success": true}} or {@code {"code": …, "error": "…", "document": "<the line>", "success": false}} (bad JSON,
 *       an {@code id} that is not a string, {@code create} of an existing id (409), {@code update} of a missing one
 *       (404), or a document the test {@linkplain #rejectDocuments rejects}); the lines are applied in order;
 *   <li>{@code POST /collections/{c}/documents?action=…}: one document, {@code 201} with it, or the error's status;
 *   <li>{@code GET} and {@code DELETE /collections/{c}/documents/{id}}: the document, or {@code 404 {"message":
 *       "Could not find a document with id: <id>"}} ({@code ignore_not_found=true} makes a missing one a {@code
 *       200});
 *   <li>a body over {@link #maxPayloadBytes()}: {@code 413} (Typesense documents 10 GB per import; the limit here is
 *       100 MB by default, settable so a test can hit it); {@linkplain #throttle throttled}: {@code 429 {"message":
 *       "Rate limit exceeded or blocked"}} or {@code 503 {"message": "Not Ready or Lagging"}}.
 * </ul>
 *
 * <p>For tests: {@link #createCollection}, {@link #documents} (the stored documents), {@link #writes} (every
 * document write and delete applied, in order: the order a consumer of the collection's changes would see), {@link
 * #requests} (each request's method and path).
 *
 * <p>Thread-safe.
 */
public final class FakeTypesense extends FakeHttpPeer {
    /** The default request body limit of the fakes, 100 MB. */
    public static final long DEFAULT_MAX_PAYLOAD_BYTES = 100L * 1024 * 1024;

    private final String apiKey;
    private final Map<String, Map<String, ObjectNode>> collections = new LinkedHashMap<>();
    private final Map<String, List<Write>> writes = new LinkedHashMap<>();
    private final List<String> requests = new ArrayList<>();
    private volatile Predicate<JsonNode> rejected = d -> false;
    private volatile String rejection = "";
    private long autoId;

    /** A document written ({@code upsert}, {@code create}, {@code update}, {@code emplace}) or deleted. */
    public record Write(String action, String id, @Nullable String document) {}

    private FakeTypesense(String apiKey) {
        super(DEFAULT_MAX_PAYLOAD_BYTES);
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
    }

    /** Starts a fake on a free loopback port that takes {@code apiKey}. */
    public static FakeTypesense start(String apiKey) {
        return new FakeTypesense(apiKey);
    }

    /** Creates an empty collection (no schema: every field is taken). */
    public synchronized void createCollection(String name) {
        collections.putIfAbsent(name, new LinkedHashMap<>());
        writes.putIfAbsent(name, new ArrayList<>());
    }

    /** The documents of {@code collection} by id, as JSON text; empty when there is no such collection. */
    public synchronized Map<String, String> documents(String collection) {
        Map<String, String> out = new LinkedHashMap<>();
        collections.getOrDefault(collection, Map.of()).forEach((id, d) -> out.put(id, d.toString()));
        return out;
    }

    /** Every write and delete applied to {@code collection}, in order. */
    public synchronized List<Write> writes(String collection) {
        return List.copyOf(writes.getOrDefault(collection, List.of()));
    }

    /** Each request's method, path and query as received, such as {@code POST /collections/c/documents/import?…}. */
    public synchronized List<String> requests() {
        return List.copyOf(requests);
    }

    /** Makes every write of a document matching {@code which} fail with {@code error} (code 400) from now on. */
    public void rejectDocuments(Predicate<JsonNode> which, String error) {
        this.rejection = error;
        this.rejected = which;
    }

    @Override
    protected Reply handle(
            String method, List<String> path, Map<String, String> query, HttpExchange exchange, byte[] body) {
        synchronized (this) {
            requests.add(method + " " + exchange.getRequestURI());
        }
        if (method.equals("GET") && path.equals(List.of("health"))) {
            return Reply.json(200, Map.of("ok", true));
        }
        String key = exchange.getRequestHeaders().getFirst("X-TYPESENSE-API-KEY");
        if (key == null) {
            key = query.get("x-typesense-api-key");
        }
        if (!apiKey.equals(key)) {
            return Reply.message(401, "Forbidden - a valid `x-typesense-api-key` header must be sent.");
        }
        if (path.isEmpty() || !path.getFirst().equals("collections")) {
            return Reply.message(404, "Not Found");
        }
        synchronized (this) {
            if (path.size() == 1 && method.equals("POST")) {
                return createCollection(body);
            }
            Map<String, ObjectNode> docs = path.size() >= 2 ? collections.get(path.get(1)) : null;
            if (docs == null) {
                return Reply.message(404, "Not Found");
            }
            String c = path.get(1);
            if (path.size() == 2 && method.equals("GET")) {
                return Reply.json(200, Map.of("name", c, "num_documents", docs.size(), "fields", List.of()));
            }
            if (path.size() == 4 && path.get(3).equals("import") && method.equals("POST")) {
                return importDocuments(c, docs, action(query), body);
            }
            if (path.size() == 3 && path.get(2).equals("documents") && method.equals("POST")) {
                Line line = write(c, docs, action(query), new String(body, StandardCharsets.UTF_8));
                return line.error == null ? Reply.json(201, docs.get(line.id)) : Reply.message(line.code, line.error);
            }
            if (path.size() == 4 && path.get(2).equals("documents")) {
                return document(c, docs, method, path.get(3), query);
            }
            return Reply.message(404, "Not Found");
        }
    }

    @Override
    protected Reply tooLarge() {
        return Reply.message(413, "Request payload too large");
    }

    @Override
    protected Reply throttled(int status) {
        return Reply.message(status, status == 503 ? "Not Ready or Lagging" : "Rate limit exceeded or blocked");
    }

    // ---- API (holding the lock)

    private Reply createCollection(byte[] body) {
        String name;
        try {
            name = JSON.readTree(body).path("name").asString("");
        } catch (JacksonException e) {
            return Reply.message(400, "Bad JSON.");
        }
        if (name.isEmpty()) {
            return Reply.message(400, "Parameter `name` is required.");
        }
        if (collections.containsKey(name)) {
            return Reply.message(409, "A collection with name `" + name + "` already exists.");
        }
        createCollection(name);
        return Reply.json(201, Map.of("name", name, "num_documents", 0, "fields", List.of()));
    }

    private static String action(Map<String, String> query) {
        return query.getOrDefault("action", "create");
    }

    private Reply importDocuments(String c, Map<String, ObjectNode> docs, String action, byte[] body) {
        StringBuilder out = new StringBuilder();
        for (String text : new String(body, StandardCharsets.UTF_8).split("\n")) {
            if (text.isBlank()) {
                continue;
            }
            Line line = write(c, docs, action, text);
            if (!out.isEmpty()) {
                out.append('\n');
            }
            if (line.error == null) {
                out.append("{\"success\":true}");
            } else {
                Map<String, Object> failed = new LinkedHashMap<>();
                failed.put("code", line.code);
                failed.put("document", text);
                failed.put("error", line.error);
                failed.put("success", false);
                out.append(JSON.writeValueAsString(failed));
            }
        }
        return new Reply(200, "text/plain; charset=utf-8", out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The outcome of one document write: its id, or an error with its status code. */
    private record Line(
            @Nullable String id, int code, @Nullable String error) {}

    private Line write(String c, Map<String, ObjectNode> docs, String action, String text) {
        JsonNode doc;
        try {
            doc = JSON.readTree(text);
        } catch (JacksonException e) {
            return new Line(null, 400, "Bad JSON.");
        }
        if (!(doc instanceof ObjectNode object)) {
            return new Line(null, 400, "Bad JSON.");
        }
        JsonNode idNode = object.get("id");
        String id;
        if (idNode == null) {
            id = Long.toString(autoId++);
            object.put("id", id);
        } else if (!idNode.isString()) {
            return new Line(null, 400, "Document's `id` field should be a string.");
        } else {
            id = idNode.asString();
        }
        if (rejected.test(object)) {
            return new Line(id, 400, rejection);
        }
        ObjectNode existing = docs.get(id);
        switch (action) {
            case "create" -> {
                if (existing != null) {
                    return new Line(id, 409, "A document with id " + id + " already exists.");
                }
                docs.put(id, object);
            }
            case "upsert" -> docs.put(id, object);
            case "update", "emplace" -> {
                if (existing == null && action.equals("update")) {
                    return new Line(id, 404, "Could not find a document with id: " + id);
                }
                if (existing == null) {
                    docs.put(id, object);
                } else {
                    existing.setAll(object);
                }
            }
            default -> {
                return new Line(id, 400, "Parameter `action` must be one of create, upsert, update, emplace.");
            }
        }
        writes.get(c).add(new Write(action, id, docs.get(id).toString()));
        return new Line(id, 0, null);
    }

    private Reply document(String c, Map<String, ObjectNode> docs, String method, String id, Map<String, String> q) {
        ObjectNode doc = docs.get(id);
        switch (method) {
            case "GET" -> {
                return doc == null
                        ? Reply.message(404, "Could not find a document with id: " + id)
                        : Reply.json(200, doc);
            }
            case "DELETE" -> {
                if (doc == null) {
                    return "true".equals(q.get("ignore_not_found"))
                            ? Reply.json(200, Map.of("id", id))
                            : Reply.message(404, "Could not find a document with id: " + id);
                }
                docs.remove(id);
                writes.get(c).add(new Write("delete", id, null));
                return Reply.json(200, doc);
            }
            default -> {
                return Reply.message(404, "Not Found");
            }
        }
    }
}
