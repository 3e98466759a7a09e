package dev.sluice.testkit.fakes;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A protocol fake of a Meilisearch server, built from Meilisearch's API reference (meilisearch.com/docs/reference:
 * Documents, Indexes, Tasks, Errors, Keys), for the sinks that no real server can be started for here. Indexes,
 * documents and tasks live in memory and survive {@link #stop()} and {@link #restart()}; tasks are processed on a
 * thread of their own, one at a time, in enqueue order, and only while the fake runs.
 *
 * <p>What it answers, as the reference describes:
 *
 * <ul>
 *   <li>every path but {@code GET /health} needs {@code Authorization: Bearer <key>}: no header is {@code 401
 *       missing_authorization_header}, another key {@code 403 invalid_api_key}; error bodies are {@code {"message",
 *       "code", "type", "link"}};
 *   <li>{@code GET /indexes/{uid}}: {@code {"uid", "primaryKey", "createdAt", "updatedAt"}} or {@code 404
 *       index_not_found};
 *   <li>{@code POST /indexes/{uid}/documents[?primaryKey=…]} (add or replace; a JSON array or NDJSON body), {@code
 *       POST /indexes/{uid}/documents/delete-batch} (a JSON array of ids) and {@code POST
 *       /indexes/{uid}/documents/edit} ({@code {"filter", "function", "context"}}): {@code 202} with a summarized
 *       task {@code {"taskUid", "indexUid", "status": "enqueued", "type", "enqueuedAt"}}; a bad body is {@code 400
 *       malformed_payload}, a body over {@link #maxPayloadBytes()} {@code 413 payload_too_large};
 *   <li>{@code GET /tasks/{uid}}: the task, {@code enqueued} → {@code processing} → {@code succeeded} or {@code
 *       failed} with its {@code error}; an addition fails whole (nothing applied) on a document without the primary
 *       key ({@code missing_document_id}), with an invalid id ({@code invalid_document_id}: not an integer nor a
 *       string of {@code a-z A-Z 0-9 - _} up to 511 bytes), with a primary key other than the index's ({@code
 *       index_primary_key_already_exists}), or one the test {@linkplain #failDocuments fails}; an addition to a
 *       missing index creates it; a deletion or edit on a missing index fails with {@code index_not_found}.
 * </ul>
 *
 * <p>Not the real thing: the edit function is not Rhai. The fake applies {@link #editFunction a Java function} the
 * test gives to the documents its filter selects, and takes only filters of the form {@code field = value} (a
 * number or a quoted string); others fail the task with {@code invalid_document_filter}. {@linkplain #throttle
 * Throttled} answers carry the fake's own body. The payload limit defaults to Meilisearch's 100 MB.
 *
 * <p>For tests: {@link #createIndex}, {@link #documents}, {@link #writes} (each document written or deleted, in the
 * order tasks applied them), {@link #tasks}, {@link #pauseTasks}.
 *
 * <p>Thread-safe.
 */
public final class FakeMeilisearch extends FakeHttpPeer {
    /** Meilisearch's default {@code --http-payload-size-limit}, 100 MB. */
    public static final long DEFAULT_MAX_PAYLOAD_BYTES = 100L * 1024 * 1024;

    private static final Pattern STRING_ID = Pattern.compile("[a-zA-Z0-9_-]+");
    private static final Pattern SIMPLE_FILTER =
            Pattern.compile("\\s*([A-Za-z0-9_.]+)\\s*=\\s*(\"[^\"]*\"|'[^']*'|-?[0-9.]+)\\s*");

    private final String apiKey;
    private final Map<String, Index> indexes = new LinkedHashMap<>();
    private final Map<String, List<Write>> writes = new LinkedHashMap<>();
    private final List<Task> tasks = new ArrayList<>();
    private final Thread worker;
    private volatile Predicate<JsonNode> failing = d -> false;
    private volatile String failCode = "";
    private volatile String failMessage = "";
    private volatile BiConsumer<ObjectNode, JsonNode> edit = (doc, context) -> {};
    private boolean paused;

    /** A document written ({@code add}) or deleted ({@code delete}), or edited ({@code edit}). */
    public record Write(String action, String id, @Nullable String document) {}

    private static final class Index {
        @Nullable
        String primaryKey;

        final Map<String, ObjectNode> docs = new LinkedHashMap<>();
        final String createdAt = Instant.now().toString();
    }

    private static final class Task {
        final long uid;
        final String index;
        final String type;
        final JsonNode payload;
        final @Nullable String primaryKey;
        final String enqueuedAt = Instant.now().toString();
        String status = "enqueued";

        @Nullable
        Map<String, Object> error;

        Task(long uid, String index, String type, JsonNode payload, @Nullable String primaryKey) {
            this.uid = uid;
            this.index = index;
            this.type = type;
            this.payload = payload;
            this.primaryKey = primaryKey;
        }
    }

    private FakeMeilisearch(String apiKey) {
        super(DEFAULT_MAX_PAYLOAD_BYTES);
        this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
        this.worker = Thread.ofVirtual().name("fake-meilisearch-tasks").start(this::processTasks);
    }

    /** Starts a fake on a free loopback port whose master key is {@code apiKey}. */
    public static FakeMeilisearch start(String apiKey) {
        return new FakeMeilisearch(apiKey);
    }

    /** Creates an empty index, with a primary key or none (set by its first addition). */
    public synchronized void createIndex(String uid, @Nullable String primaryKey) {
        Index i = indexes.computeIfAbsent(uid, u -> new Index());
        if (i.primaryKey == null) {
            i.primaryKey = primaryKey;
        }
        writes.putIfAbsent(uid, new ArrayList<>());
    }

    /** The documents of an index by id, as JSON text; empty when there is no such index. */
    public synchronized Map<String, String> documents(String uid) {
        Map<String, String> out = new LinkedHashMap<>();
        Index i = indexes.get(uid);
        if (i != null) {
            i.docs.forEach((id, d) -> out.put(id, d.toString()));
        }
        return out;
    }

    /** Every write, edit and delete applied to an index, in order. */
    public synchronized List<Write> writes(String uid) {
        return List.copyOf(writes.getOrDefault(uid, List.of()));
    }

    /** Each task's uid, type and status, such as {@code 3 documentAdditionOrUpdate succeeded}. */
    public synchronized List<String> tasks() {
        return tasks.stream().map(t -> t.uid + " " + t.type + " " + t.status).toList();
    }

    /** Holds enqueued tasks (true) or processes them again (false). */
    public synchronized void pauseTasks(boolean pause) {
        paused = pause;
        notifyAll();
    }

    /** Makes every addition with a document matching {@code which} fail whole with that error (invalid_request). */
    public void failDocuments(Predicate<JsonNode> which, String code, String message) {
        this.failCode = code;
        this.failMessage = message;
        this.failing = which;
    }

    /** What an edit does to each document its filter selects, given the edit's context ({@code null} node if none). */
    public void editFunction(BiConsumer<ObjectNode, JsonNode> function) {
        this.edit = function;
    }

    @Override
    public void close() {
        super.close();
        worker.interrupt();
    }

    // ---- HTTP

    @Override
    protected Reply handle(
            String method, List<String> path, Map<String, String> query, HttpExchange exchange, byte[] body) {
        if (method.equals("GET") && path.equals(List.of("health"))) {
            return Reply.json(200, Map.of("status", "available"));
        }
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        if (auth == null) {
            return error(
                    401,
                    "The Authorization header is missing. It must use the bearer authorization method.",
                    "missing_authorization_header",
                    "auth");
        }
        if (!auth.equals("Bearer " + apiKey)) {
            return error(403, "The provided API key is invalid.", "invalid_api_key", "auth");
        }
        synchronized (this) {
            if (path.size() == 2 && path.get(0).equals("tasks") && method.equals("GET")) {
                return task(path.get(1));
            }
            if (path.size() >= 2 && path.get(0).equals("indexes")) {
                String uid = path.get(1);
                if (!STRING_ID.matcher(uid).matches() || uid.length() > 400) {
                    return error(
                            400,
                            "`" + uid + "` is not a valid index uid. Index uid can be an integer or a"
                                    + " string containing only alphanumeric characters, hyphens (-) and underscores (_),"
                                    + " and can not be more than 512 bytes.",
                            "invalid_index_uid",
                            "invalid_request");
                }
                if (path.size() == 2 && method.equals("GET")) {
                    Index i = indexes.get(uid);
                    if (i == null) {
                        return error(404, "Index `" + uid + "` not found.", "index_not_found", "invalid_request");
                    }
                    Map<String, Object> view = new LinkedHashMap<>();
                    view.put("uid", uid);
                    view.put("primaryKey", i.primaryKey);
                    view.put("createdAt", i.createdAt);
                    view.put("updatedAt", i.createdAt);
                    return Reply.json(200, view);
                }
                if (path.size() >= 3 && path.get(2).equals("documents") && method.equals("POST")) {
                    return enqueue(uid, path.size() == 3 ? "" : path.get(3), query, exchange, body);
                }
            }
            return error(404, "Not Found", "not_found", "invalid_request");
        }
    }

    @Override
    protected Reply tooLarge() {
        return error(
                413,
                "The provided payload reached the size limit. The maximum accepted payload size is "
                        + (maxPayloadBytes() >= 1024 * 1024
                                ? maxPayloadBytes() / (1024 * 1024) + " MiB"
                                : maxPayloadBytes() + " B")
                        + ".",
                "payload_too_large",
                "invalid_request");
    }

    @Override
    protected Reply throttled(int status) {
        return error(status, "The fake is throttled (" + status + ").", "fake_throttled", "system");
    }

    private static Reply error(int status, String message, String code, String type) {
        return Reply.json(status, errorObject(message, code, type));
    }

    private static Map<String, Object> errorObject(String message, String code, String type) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put("code", code);
        e.put("type", type);
        e.put("link", "https://docs.meilisearch.com/errors#" + code);
        return e;
    }

    private Reply task(String uid) {
        for (Task t : tasks) {
            if (Long.toString(t.uid).equals(uid)) {
                Map<String, Object> view = new LinkedHashMap<>();
                view.put("uid", t.uid);
                view.put("indexUid", t.index);
                view.put("status", t.status);
                view.put("type", t.type);
                view.put("error", t.error);
                view.put("enqueuedAt", t.enqueuedAt);
                return Reply.json(200, view);
            }
        }
        return error(404, "Task `" + uid + "` not found.", "task_not_found", "invalid_request");
    }

    private Reply enqueue(String uid, String what, Map<String, String> query, HttpExchange exchange, byte[] body) {
        String type;
        JsonNode payload;
        try {
            switch (what) {
                case "" -> {
                    type = "documentAdditionOrUpdate";
                    payload = documents(exchange.getRequestHeaders().getFirst("Content-Type"), body);
                }
                case "delete-batch" -> {
                    type = "documentDeletion";
                    payload = JSON.readTree(body);
                    if (!payload.isArray()) {
                        return error(
                                400,
                                "Invalid value type: expected an array of document ids",
                                "bad_request",
                                "invalid_request");
                    }
                }
                case "edit" -> {
                    type = "documentEdition";
                    payload = JSON.readTree(body);
                    if (!payload.isObject() || !payload.path("function").isString()) {
                        return error(400, "Missing field `function`", "bad_request", "invalid_request");
                    }
                }
                default -> {
                    return error(404, "Not Found", "not_found", "invalid_request");
                }
            }
        } catch (JacksonException | IllegalArgumentException e) {
            return error(
                    400,
                    "The `json` payload provided is malformed. `Couldn't serialize document value`.",
                    "malformed_payload",
                    "invalid_request");
        }
        Task t = new Task(tasks.size(), uid, type, payload, query.get("primaryKey"));
        tasks.add(t);
        notifyAll();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("taskUid", t.uid);
        view.put("indexUid", uid);
        view.put("status", "enqueued");
        view.put("type", type);
        view.put("enqueuedAt", t.enqueuedAt);
        return Reply.json(202, view);
    }

    /** A JSON array, or NDJSON (one object a line) when the content type says so. */
    private static JsonNode documents(@Nullable String contentType, byte[] body) {
        if (contentType != null && contentType.startsWith("application/x-ndjson")) {
            ArrayNode out = JSON.createArrayNode();
            for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
            return out;
        }
        JsonNode n = JSON.readTree(body);
        if (n.isObject()) {
            return JSON.createArrayNode().add(n);
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException("not documents");
        }
        return n;
    }

    // ---- tasks (on the worker)

    private void processTasks() {
        try {
            while (true) {
                Task t;
                synchronized (this) {
                    while ((t = next()) == null) {
                        wait(50); // also wakes to notice a restart
                    }
                    t.status = "processing";
                }
                Thread.yield(); // a poll may see it processing
                synchronized (this) {
                    apply(t);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private @Nullable Task next() {
        if (paused || !running()) {
            return null;
        }
        for (Task t : tasks) {
            if (t.status.equals("enqueued")) {
                return t;
            }
        }
        return null;
    }

    private void apply(Task t) {
        Map<String, Object> error = switch (t.type) {
            case "documentAdditionOrUpdate" -> add(t);
            case "documentDeletion" -> delete(t);
            default -> edit(t);
        };
        t.error = error;
        t.status = error == null ? "succeeded" : "failed";
    }

    private @Nullable Map<String, Object> add(Task t) {
        Index index = indexes.get(t.index);
        String pk = index != null && index.primaryKey != null ? index.primaryKey : t.primaryKey;
        if (index != null
                && index.primaryKey != null
                && t.primaryKey != null
                && !t.primaryKey.equals(index.primaryKey)) {
            return errorObject(
                    "Index `" + t.index + "`: Index already has a primary key: `" + index.primaryKey + "`.",
                    "index_primary_key_already_exists",
                    "invalid_request");
        }
        if (pk == null) {
            return errorObject(
                    "The primary key inference failed as the engine did not find any field ending with"
                            + " `id` in its name. Please specify the primary key manually using the `primaryKey` query"
                            + " parameter.",
                    "index_primary_key_no_candidate_found",
                    "invalid_request");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode d : t.payload) {
            JsonNode id = d.isObject() ? d.get(pk) : null;
            if (id == null || id.isNull()) {
                return errorObject(
                        "Document doesn't have a `" + pk + "` attribute: `" + d + "`.",
                        "missing_document_id",
                        "invalid_request");
            }
            if (!validId(id)) {
                return errorObject(
                        "Document identifier `" + id + "` is invalid. A document identifier can be of"
                                + " type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9),"
                                + " hyphens (-) and underscores (_), and can not be more than 511 bytes.",
                        "invalid_document_id",
                        "invalid_request");
            }
            if (failing.test(d)) {
                return errorObject(failMessage, failCode, "invalid_request");
            }
            ids.add(id.asString());
        }
        if (index == null) {
            createIndex(t.index, pk);
            index = indexes.get(t.index);
        }
        index.primaryKey = pk;
        for (int k = 0; k < ids.size(); k++) {
            ObjectNode d = (ObjectNode) t.payload.get(k);
            index.docs.put(ids.get(k), d);
            writes.get(t.index).add(new Write("add", ids.get(k), d.toString()));
        }
        return null;
    }

    private @Nullable Map<String, Object> delete(Task t) {
        Index index = indexes.get(t.index);
        if (index == null) {
            return errorObject("Index `" + t.index + "` not found.", "index_not_found", "invalid_request");
        }
        for (JsonNode id : t.payload) {
            if (index.docs.remove(id.asString()) != null) {
                writes.get(t.index).add(new Write("delete", id.asString(), null));
            }
        }
        return null;
    }

    private @Nullable Map<String, Object> edit(Task t) {
        Index index = indexes.get(t.index);
        if (index == null) {
            return errorObject("Index `" + t.index + "` not found.", "index_not_found", "invalid_request");
        }
        String filter = t.payload.path("filter").asString("");
        var m = SIMPLE_FILTER.matcher(filter);
        if (!m.matches()) {
            return errorObject(
                    "The fake takes filters of the form `field = value` only, got `" + filter + "`.",
                    "invalid_document_filter",
                    "invalid_request");
        }
        String field = m.group(1);
        String value = m.group(2).replaceAll("^[\"']|[\"']$", "");
        for (Map.Entry<String, ObjectNode> e : index.docs.entrySet()) {
            JsonNode v = e.getValue().get(field);
            if (v != null && v.asString().equals(value)) {
                edit.accept(e.getValue(), t.payload.path("context"));
                writes.get(t.index)
                        .add(new Write("edit", e.getKey(), e.getValue().toString()));
            }
        }
        return null;
    }

    private static boolean validId(JsonNode id) {
        if (id.isIntegralNumber()) {
            return id.asLong() >= 0;
        }
        return id.isString()
                && STRING_ID.matcher(id.asString()).matches()
                && id.asString().getBytes(StandardCharsets.UTF_8).length <= 511;
    }
}
