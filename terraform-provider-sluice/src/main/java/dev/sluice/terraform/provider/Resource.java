package dev.sluice.terraform.provider;

import dev.sluice.terraform.api.ApiException;
import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.schema.Schema;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A managed resource type: its schema, and how its state maps to API calls. States are maps of every schema attribute
 * (null when unset), as {@link dev.sluice.terraform.wire.Msgpack} reads and writes them; planning is generic
 * ({@link Planner}).
 */
public interface Resource {
    /** The resource type, e.g. {@code sluice_function}. */
    String typeName();

    Schema schema();

    /** Creates the object; returns the full state (every computed attribute known). */
    Map<String, @Nullable Object> create(SluiceApi api, Map<String, @Nullable Object> planned) throws ApiException;

    /** Updates the object in place; returns the full state. */
    Map<String, @Nullable Object> update(
            SluiceApi api, Map<String, @Nullable Object> prior, Map<String, @Nullable Object> planned)
            throws ApiException;

    void delete(SluiceApi api, Map<String, @Nullable Object> prior) throws ApiException;

    /**
     * The object as it is now, in the terms of {@code current} (the state Terraform holds: values the API does not
     * return, such as secrets, are kept from it); null when it no longer exists.
     */
    @Nullable
    Map<String, @Nullable Object> read(SluiceApi api, Map<String, @Nullable Object> current) throws ApiException;

    /** The state of an existing object named by an import ID; an {@link ApiException} when there is none. */
    Map<String, @Nullable Object> importState(SluiceApi api, String id) throws ApiException;

    /** For a data source: the object with this name (or ID), secrets masked; an {@link ApiException} when none. */
    Map<String, @Nullable Object> lookup(SluiceApi api, String name) throws ApiException;

    /**
     * Refines a plan where the generic one ({@link Planner}) cannot know better: computed values that change with
     * others (a timestamp of the last update), or attributes that do not apply to what is configured. Changes {@code
     * planned} in place; nothing by default.
     *
     * @param prior the state before, or null for a create
     */
    default void refinePlan(
            Map<String, @Nullable Object> planned,
            @Nullable Map<String, @Nullable Object> prior,
            Map<String, @Nullable Object> config) {}
}
