package dev.sluice.terraform.resources;

import static dev.sluice.terraform.schema.Attribute.Presence.COMPUTED;

import dev.sluice.terraform.api.ApiException;
import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.provider.Resource;
import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.TfType;
import dev.sluice.terraform.wire.Unknown;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sluice_backfill}, and the seeds' {@code sequin_backfill}: a backfill of one of a sink's tables ({@code
 * /api/sinks/{sink}/backfills}). A new {@code sink_consumer} or {@code table} is a new backfill; {@code state =
 * "cancelled"} cancels it in place.
 *
 * <p>{@code state} is what the configuration asks for, {@code active} or {@code cancelled}: a backfill that completed
 * (or failed) reads as whatever was asked, and cancelling it is no call, since nothing is left to stop; {@code
 * status.state} tells what it is.
 */
final class BackfillResource implements Resource {
    private static final List<String> STATUS_TEXTS =
            List.of("state", "inserted_at", "updated_at", "canceled_at", "completed_at", "sort_column");
    private static final List<String> STATUS_COUNTS =
            List.of("rows_ingested_count", "rows_initial_count", "rows_processed_count");
    static final Schema SCHEMA = buildSchema();

    private final String typeName;

    BackfillResource(String typeName) {
        this.typeName = typeName;
    }

    private static Schema buildSchema() {
        Attribute[] status = new Attribute[STATUS_TEXTS.size() + STATUS_COUNTS.size()];
        int i = 0;
        for (String f : STATUS_TEXTS) {
            status[i++] = Attribute.computed(f, TfType.STRING, f.replace('_', ' ') + ".");
        }
        for (String f : STATUS_COUNTS) {
            status[i++] = Attribute.computed(f, TfType.NUMBER, f.replace('_', ' ') + ".");
        }
        return new Schema(
                0,
                "A backfill: a sink's table read from the start, through the same path as changes.",
                List.of(
                        Attribute.computed("id", TfType.STRING, "The backfill's ID."),
                        Attribute.required("sink_consumer", TfType.STRING, "The sink, by name or ID.")
                                .asForceNew(),
                        Attribute.optionalComputed(
                                        "table", TfType.STRING, "schema.table; the sink's only table when unset.")
                                .asForceNew(),
                        Attribute.optionalComputed(
                                "state", TfType.STRING, "active, or cancelled to cancel it; active when unset."),
                        Attribute.nested(
                                "status",
                                COMPUTED,
                                Attribute.Nesting.SINGLE,
                                "Progress, as the server reports it.",
                                status)));
    }

    @Override
    public String typeName() {
        return typeName;
    }

    @Override
    public Schema schema() {
        return SCHEMA;
    }

    private static String base(Map<String, @Nullable Object> s) {
        return "/api/sinks/" + Values.segment((String) s.get("sink_consumer")) + "/backfills";
    }

    private static String path(Map<String, @Nullable Object> s) {
        return base(s) + "/" + Values.segment((String) s.get("id"));
    }

    @Override
    public Map<String, @Nullable Object> create(SluiceApi api, Map<String, @Nullable Object> planned)
            throws ApiException {
        ObjectNode body = SluiceApi.JSON.createObjectNode();
        Values.put(body, "table", planned.get("table"));
        Map<String, @Nullable Object> s = state(api.post(base(planned), body), planned);
        if ("cancelled".equals(planned.get("state"))) {
            s = state(api.patch(path(s), stateBody("cancelled")), planned);
        }
        return s;
    }

    @Override
    public Map<String, @Nullable Object> update(
            SluiceApi api, Map<String, @Nullable Object> prior, Map<String, @Nullable Object> planned)
            throws ApiException {
        Object want = planned.get("state");
        JsonNode now = api.get(path(prior));
        String is = Values.text(now, "state");
        boolean finished = !"active".equals(is) && !"paused".equals(is) && !"cancelled".equals(is);
        if (want instanceof String w && !w.equals(prior.get("state")) && !finished) {
            return state(api.patch(path(prior), stateBody(w)), planned);
        }
        return state(now, planned);
    }

    private static ObjectNode stateBody(String state) {
        return SluiceApi.JSON.createObjectNode().put("state", state);
    }

    @Override
    public void delete(SluiceApi api, Map<String, @Nullable Object> prior) throws ApiException {
        try {
            api.delete(path(prior));
        } catch (ApiException e) {
            if (!e.notFound()) {
                throw e;
            }
        }
    }

    @Override
    public @Nullable Map<String, @Nullable Object> read(SluiceApi api, Map<String, @Nullable Object> current)
            throws ApiException {
        try {
            return state(api.get(path(current)), current);
        } catch (ApiException e) {
            if (e.notFound()) {
                return null;
            }
            throw e;
        }
    }

    /** The seeds' import ID: {@code <sink_consumer>/<backfill_id>}. */
    @Override
    public Map<String, @Nullable Object> importState(SluiceApi api, String id) throws ApiException {
        String[] parts = id.split("/", 2);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new ApiException(
                    400,
                    "Invalid import ID: expected <sink_consumer>/<backfill_id> (the sink's name or ID, a slash, the"
                            + " backfill's ID), got: " + id);
        }
        Map<String, @Nullable Object> known = new LinkedHashMap<>();
        known.put("sink_consumer", parts[0]);
        known.put("id", parts[1]);
        return state(api.get(path(known)), known);
    }

    @Override
    public Map<String, @Nullable Object> lookup(SluiceApi api, String name) throws ApiException {
        return importState(api, name);
    }

    @Override
    public void refinePlan(
            Map<String, @Nullable Object> planned,
            @Nullable Map<String, @Nullable Object> prior,
            Map<String, @Nullable Object> config) {
        if (prior != null && !java.util.Objects.equals(prior.get("state"), planned.get("state"))) {
            planned.put("status", Unknown.VALUE); // cancelling moves the status and its timestamps
        }
    }

    private static Map<String, @Nullable Object> state(JsonNode b, Map<String, @Nullable Object> known) {
        Map<String, @Nullable Object> s = new LinkedHashMap<>();
        s.put("id", Values.text(b, "id"));
        // As the configuration names the sink (a name or an ID); the API answers its name.
        Object sink = known.get("sink_consumer");
        s.put("sink_consumer", sink instanceof String k ? k : Values.text(b, "sink_consumer"));
        String table = Values.text(b, "table");
        Object kt = known.get("table");
        s.put("table", table != null && kt instanceof String k && table.equals("public." + k) ? k : table);
        String state = Values.text(b, "state");
        Object asked = known.get("state");
        s.put(
                "state",
                switch (state == null ? "" : state) {
                    case "cancelled" -> "cancelled";
                    case "active", "paused" -> "active";
                    // Finished: nothing is left to cancel or run, so what the configuration asks for stands.
                    default -> asked instanceof String a ? a : "active";
                });
        Map<String, @Nullable Object> status = new LinkedHashMap<>();
        STATUS_TEXTS.forEach(f -> status.put(f, Values.text(b, f)));
        STATUS_COUNTS.forEach(f -> status.put(f, Values.number(b, f)));
        s.put("status", status);
        return s;
    }
}
