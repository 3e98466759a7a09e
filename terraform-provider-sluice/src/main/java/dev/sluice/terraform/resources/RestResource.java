package dev.sluice.terraform.resources;

import dev.sluice.terraform.api.ApiException;
import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.provider.Resource;
import dev.sluice.terraform.schema.Schema;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A resource kept in one collection of the management API, as the seeds' provider calls it: create POSTs, update
 * PUTs the whole body, read GETs (a 404 means it was deleted behind Terraform's back), delete DELETEs (a 404 means
 * already gone), import GETs by ID or name. A subclass says what a body holds and how an answer becomes state.
 */
abstract class RestResource implements Resource {
    private final String typeName;
    private final String path;
    private final Schema schema;

    RestResource(String typeName, String path, Schema schema) {
        this.typeName = typeName;
        this.path = path;
        this.schema = schema;
    }

    /** The request body for {@code planned}; on update, what the configuration no longer sets is sent as cleared. */
    abstract ObjectNode body(Map<String, @Nullable Object> planned, boolean update);

    /**
     * The state from the API's answer, in the terms of {@code known} (the plan or the prior state; empty on import):
     * values the API does not return, such as secrets, are kept from it, and so is the configuration's spelling of a
     * value the server writes differently but reads the same.
     */
    abstract Map<String, @Nullable Object> state(SluiceApi api, JsonNode answer, Map<String, @Nullable Object> known)
            throws ApiException;

    /** How an import names the object: {@code ?show_sensitive=true} for types whose secrets state must hold. */
    String importQuery() {
        return "";
    }

    @Override
    public final String typeName() {
        return typeName;
    }

    @Override
    public final Schema schema() {
        return schema;
    }

    final String path(Map<String, @Nullable Object> state) {
        Object id = state.get("id");
        return path + "/" + Values.segment(id != null ? (String) id : (String) state.get("name"));
    }

    @Override
    public Map<String, @Nullable Object> create(SluiceApi api, Map<String, @Nullable Object> planned)
            throws ApiException {
        return state(api, api.post(path, body(planned, false)), planned);
    }

    @Override
    public Map<String, @Nullable Object> update(
            SluiceApi api, Map<String, @Nullable Object> prior, Map<String, @Nullable Object> planned)
            throws ApiException {
        return state(api, api.put(path(prior), body(planned, true)), planned);
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
            return state(api, api.get(path(current)), current);
        } catch (ApiException e) {
            if (e.notFound()) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public Map<String, @Nullable Object> importState(SluiceApi api, String id) throws ApiException {
        return state(api, api.get(path + "/" + Values.segment(id) + importQuery()), Map.of());
    }

    @Override
    public Map<String, @Nullable Object> lookup(SluiceApi api, String name) throws ApiException {
        return state(api, api.get(path + "/" + Values.segment(name)), Map.of());
    }
}
