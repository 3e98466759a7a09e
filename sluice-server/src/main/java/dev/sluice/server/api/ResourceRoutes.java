package dev.sluice.server.api;

import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.FunctionRefs;
import dev.sluice.server.config.InitialBackfill;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Draft;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The create, read, update and delete routes of one kind of configuration resource (databases, HTTP endpoints,
 * sinks). Reads render the configuration snapshot; a change is made on an editable copy of the whole configuration,
 * validated exactly as sluice.yaml is, saved and applied (see {@link ConfigWriter}).
 */
final class ResourceRoutes {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private final Resource res;
    private final StoredConfig stored;
    private final ConfigWriter writer;
    private final BackfillsApi backfills;

    ResourceRoutes(Resource res, StoredConfig stored, ConfigWriter writer, BackfillsApi backfills) {
        this.res = res;
        this.stored = stored;
        this.writer = writer;
        this.backfills = backfills;
    }

    void routes(List<ManagementApi.Route> out, String base) {
        ManagementApi.collection(
                out, base, base + "/{id_or_name}", this::list, this::create, this::get, this::update, this::delete);
    }

    /** Renders from the snapshot; {@code show_sensitive} decrypts the secrets of the resources shown, and only those. */
    private IntFunction<ObjectNode> renderer(Context ctx, ConfigSnapshot s, List<Integer> shown) throws SQLException {
        boolean show = Requests.flag(ctx, "show_sensitive");
        SluiceConfig view = show && !shown.isEmpty() ? s.revealed(res.kind(), shown) : s.config();
        return res.renderer(s, view);
    }

    private void list(Context ctx) throws SQLException {
        ConfigSnapshot s = stored.snapshot();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < s.size(res.kind()); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing((Integer i) -> s.meta(res.kind(), i).insertedAt())
                .thenComparing(i -> s.id(res.kind(), i).toString()));
        IntFunction<ObjectNode> render = renderer(ctx, s, order);
        Pages.inMemory(
                ctx,
                order,
                i -> new Pages.Cursor(s.meta(res.kind(), i).insertedAt(), s.id(res.kind(), i)),
                render::apply);
    }

    private void get(Context ctx) throws SQLException {
        ConfigSnapshot s = stored.snapshot();
        int i = find(s, ctx.pathParam("id_or_name"));
        ctx.json(renderer(ctx, s, List.of(i)).apply(i));
    }

    private void create(Context ctx) throws SQLException {
        ObjectNode body = Requests.object(ctx);
        String name = Objects.requireNonNull(checkName(body, true));
        synchronized (writer.lock()) {
            ConfigSnapshot s = writer.fresh();
            if (s.indexOf(res.kind(), name) >= 0) {
                throw ApiException.nameTaken(res.label(), name);
            }
            Draft draft = s.editable();
            int index = draft.put(res.kind(), -1, res.toEntry(body, null, s));
            SluiceConfig cfg = ConfigWriter.validate(draft, res, index);
            if (res.kind() == Kind.DATABASE) {
                ChecksApi.checkConnection(cfg.databases().get(index));
            }
            List<BackfillsApi.Checked> initial = new ArrayList<>();
            if (res.kind() == Kind.SINK) {
                SinkConfig sink = cfg.sinks().get(index);
                checkColumns(sink, null, s);
                for (InitialBackfill b : sink.initialBackfills()) {
                    initial.add(backfills.check(sink, s.databaseId(sink.database()), b));
                }
            }
            ConfigSnapshot saved = writer.save(draft);
            int at = saved.indexOf(res.kind(), name);
            for (BackfillsApi.Checked b : initial) {
                backfills.insert(SinkLookup.at(saved, at), b);
            }
            ctx.status(201).json(renderer(ctx, saved, List.of(at)).apply(at));
        }
    }

    private void update(Context ctx) throws SQLException {
        ObjectNode body = Requests.object(ctx);
        String newName = checkName(body, false);
        synchronized (writer.lock()) {
            ConfigSnapshot s = writer.fresh();
            int index = find(s, ctx.pathParam("id_or_name"));
            UUID id = s.id(res.kind(), index);
            String oldName = s.meta(res.kind(), index).name();
            if (newName != null && !newName.equals(oldName)) {
                int other = s.indexOf(res.kind(), newName);
                if (other >= 0 && other != index) {
                    throw ApiException.nameTaken(res.label(), newName);
                }
            }
            Draft base = s.editable();
            Draft draft = base.copy();
            draft.put(res.kind(), index, res.toEntry(body, base.entry(res.kind(), index), s));
            if (newName != null && !newName.equals(oldName)) {
                renameReferences(draft, res.kind(), oldName, newName);
            }
            SluiceConfig cfg = ConfigWriter.validate(draft, res, index);
            if (res.kind() == Kind.DATABASE) {
                DatabaseConfig after = cfg.databases().get(index);
                DatabaseConfig before = StoredConfig.validate(base).databases().get(index);
                if (!before.sourceSettings().equals(after.sourceSettings())) {
                    ChecksApi.checkConnection(after);
                }
            }
            if (res.kind() == Kind.SINK) {
                checkColumns(cfg.sinks().get(index), s.config().sinks().get(index), s);
            }
            ConfigSnapshot saved = writer.save(draft);
            int at = saved.indexOf(res.kind(), id.toString());
            ctx.json(renderer(ctx, saved, List.of(at)).apply(at));
        }
    }

    /**
     * The sink {@code body} describes, validated exactly as a save would validate it, with every secret it needs
     * revealed, and not saved: a new sink, or sink {@code idOrName} with {@code body}'s changes. For testing a sink's
     * connection from a form before saving it.
     */
    SinkConfig previewSink(ObjectNode body, @Nullable String idOrName) {
        if (res.kind() != Kind.SINK) {
            throw new IllegalStateException("only sinks are previewed");
        }
        ConfigSnapshot s = stored.snapshot();
        Draft draft = s.editable();
        int index;
        if (idOrName == null) {
            if (!body.has("name") || body.get("name").isNull()) {
                // A name is not needed to test a connection; an unused one keeps validation whole.
                body = body.deepCopy().put("name", "connection-test-" + UUID.randomUUID());
            }
            checkName(body, true);
            index = draft.put(res.kind(), -1, res.toEntry(body, null, s));
        } else {
            index = find(s, idOrName);
            draft.put(res.kind(), index, res.toEntry(body, draft.entry(res.kind(), index), s));
        }
        return ConfigWriter.validate(draft, res, index).sinks().get(index);
    }

    private void delete(Context ctx) throws SQLException {
        synchronized (writer.lock()) {
            ConfigSnapshot s = writer.fresh();
            int index = find(s, ctx.pathParam("id_or_name"));
            UUID id = s.id(res.kind(), index);
            String name = s.meta(res.kind(), index).name();
            List<String> users = switch (res.kind()) {
                case DATABASE ->
                    s.config().sinks().stream()
                            .filter(sink -> sink.database().equals(name))
                            .map(SinkConfig::name)
                            .toList();
                case HTTP_ENDPOINT ->
                    s.config().sinks().stream()
                            .filter(sink -> sink.destination()
                                    .references(Destinations.HTTP_ENDPOINT)
                                    .contains(name))
                            .map(SinkConfig::name)
                            .toList();
                case FUNCTION ->
                    s.config().sinks().stream()
                            .filter(sink -> sink.functions().uses(name))
                            .map(SinkConfig::name)
                            .toList();
                case SINK -> List.of();
            };
            if (!users.isEmpty()) {
                throw ApiException.refused("cannot delete " + res.label() + " '" + name + "': it is used by sink(s) "
                        + String.join(", ", users) + "; delete or change those first");
            }
            Draft draft = s.editable();
            draft.remove(res.kind(), index);
            writer.save(draft);
            ctx.json(Map.of("id", id.toString(), "deleted", true, "success", true));
        }
    }

    /** A 422 when a changed column selection excludes a key column or names a column the table lacks. */
    private static void checkColumns(SinkConfig sink, @Nullable SinkConfig before, ConfigSnapshot s) {
        if (before != null
                && before.tables().equals(sink.tables())
                && before.database().equals(sink.database())) {
            return;
        }
        Map<String, List<String>> problems = ColumnSelectionCheck.problems(sink, s, new ArrayList<>());
        if (!problems.isEmpty()) {
            throw ApiException.invalid(problems);
        }
    }

    /** Sinks name their database and endpoint: a rename carries them along. */
    private static void renameReferences(Draft draft, Kind kind, String oldName, String newName) {
        for (JsonNode sink : draft.section(Kind.SINK)) {
            switch (kind) {
                case DATABASE -> {
                    if (sink.get("database") instanceof JsonNode ref
                            && ref.isString()
                            && ref.asString().equals(oldName)) {
                        ((ObjectNode) sink).put("database", newName);
                    }
                }
                case HTTP_ENDPOINT -> {
                    if (sink.get("destination") instanceof ObjectNode d) {
                        Destinations.renameReferences(d, Destinations.HTTP_ENDPOINT, oldName, newName);
                    }
                }
                case FUNCTION -> {
                    for (String key : FunctionRefs.KEYS) {
                        if (sink.get(key) instanceof JsonNode ref
                                && ref.isString()
                                && ref.asString().equals(oldName)) {
                            ((ObjectNode) sink).put(key, newName);
                        }
                    }
                }
                case SINK -> {}
            }
        }
    }

    private int find(ConfigSnapshot s, String idOrName) {
        int i = s.indexOf(res.kind(), idOrName);
        if (i < 0) {
            throw ApiException.notFound(res.label(), Requests.clip(idOrName));
        }
        return i;
    }

    static @Nullable String checkName(ObjectNode body, boolean required) {
        JsonNode n = body.get("name");
        if (n == null || n.isNull()) {
            if (required) {
                throw ApiException.invalid("name", "required");
            }
            return null;
        }
        if (!n.isString()) {
            throw ApiException.invalid("name", "expected a string, got " + Requests.kind(n));
        }
        String name = n.asString();
        if (!NAME.matcher(name).matches()) {
            throw ApiException.invalid(
                    "name",
                    "use 1 to 128 letters, digits, '_', '-' and '.', starting with a letter or digit; got '"
                            + Requests.clip(name) + "'");
        }
        return name;
    }
}
