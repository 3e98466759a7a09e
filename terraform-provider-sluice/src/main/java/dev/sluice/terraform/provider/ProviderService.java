package dev.sluice.terraform.provider;

import com.google.protobuf.ByteString;
import dev.sluice.terraform.api.ApiException;
import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.proto.ProviderGrpc;
import dev.sluice.terraform.proto.Tfplugin6;
import dev.sluice.terraform.proto.Tfplugin6.Diagnostic;
import dev.sluice.terraform.proto.Tfplugin6.DynamicValue;
import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.JsonValues;
import dev.sluice.terraform.wire.Msgpack;
import dev.sluice.terraform.wire.TfType;
import dev.sluice.terraform.wire.Unknown;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The tfplugin6 {@code Provider} service: schemas, configuration, and each resource's plan, apply, read and import,
 * translated between the protocol's values and the {@link Resource}s.
 */
public final class ProviderService extends ProviderGrpc.ProviderImplBase {
    public static final Schema PROVIDER_SCHEMA = new Schema(
            0,
            "Sluice (and Sequin-compatible) management API.",
            List.of(
                    Attribute.optional(
                            "endpoint",
                            TfType.STRING,
                            "Base URL of the Sluice API, e.g. http://localhost:7376. Default: SLUICE_ENDPOINT, then"
                                    + " SEQUIN_ENDPOINT."),
                    Attribute.optional(
                                    "api_key",
                                    TfType.STRING,
                                    "API token. Default: SLUICE_API_KEY, then SEQUIN_API_KEY.")
                            .asSensitive()));

    private final Map<String, Resource> resources;
    private final Map<String, DataSource> dataSources;
    private final Function<String, @Nullable String> env;
    private volatile @Nullable SluiceApi api;

    /** A data source: a resource's object looked up by name, with the resource's schema made read-only. */
    private record DataSource(Resource resource, Schema schema) {}

    public ProviderService(
            List<Resource> resources, List<Resource> dataSources, Function<String, @Nullable String> env) {
        Map<String, Resource> m = new LinkedHashMap<>();
        resources.forEach(r -> m.put(r.typeName(), r));
        this.resources = m;
        Map<String, DataSource> d = new LinkedHashMap<>();
        dataSources.forEach(r -> d.put(
                r.typeName(),
                new DataSource(
                        r,
                        r.schema()
                                .asDataSource(
                                        "name",
                                        "Looks up an existing object by name (or ID): "
                                                + r.schema().description()))));
        this.dataSources = d;
        this.env = env;
    }

    @Override
    public void getMetadata(Tfplugin6.GetMetadata.Request request, StreamObserver<Tfplugin6.GetMetadata.Response> out) {
        Tfplugin6.GetMetadata.Response.Builder r =
                Tfplugin6.GetMetadata.Response.newBuilder().setServerCapabilities(capabilities());
        resources
                .keySet()
                .forEach(t -> r.addResources(
                        Tfplugin6.GetMetadata.ResourceMetadata.newBuilder().setTypeName(t)));
        dataSources
                .keySet()
                .forEach(t -> r.addDataSources(
                        Tfplugin6.GetMetadata.DataSourceMetadata.newBuilder().setTypeName(t)));
        reply(out, r.build());
    }

    @Override
    public void getProviderSchema(
            Tfplugin6.GetProviderSchema.Request request, StreamObserver<Tfplugin6.GetProviderSchema.Response> out) {
        Tfplugin6.GetProviderSchema.Response.Builder r = Tfplugin6.GetProviderSchema.Response.newBuilder()
                .setProvider(PROVIDER_SCHEMA.toProto())
                .setServerCapabilities(capabilities());
        resources.forEach((t, res) -> r.putResourceSchemas(t, res.schema().toProto()));
        dataSources.forEach((t, ds) -> r.putDataSourceSchemas(t, ds.schema().toProto()));
        reply(out, r.build());
    }

    private static Tfplugin6.ServerCapabilities capabilities() {
        // The schema is the same in every process: Terraform may reuse it instead of asking each provider start.
        return Tfplugin6.ServerCapabilities.newBuilder()
                .setGetProviderSchemaOptional(true)
                .build();
    }

    @Override
    public void validateProviderConfig(
            Tfplugin6.ValidateProviderConfig.Request request,
            StreamObserver<Tfplugin6.ValidateProviderConfig.Response> out) {
        reply(out, Tfplugin6.ValidateProviderConfig.Response.getDefaultInstance());
    }

    @Override
    public void configureProvider(
            Tfplugin6.ConfigureProvider.Request request, StreamObserver<Tfplugin6.ConfigureProvider.Response> out) {
        answer(
                out,
                () -> {
                    Map<String, @Nullable Object> config = object(request.getConfig(), PROVIDER_SCHEMA);
                    String endpoint = first(
                            (String) config.get("endpoint"),
                            env.apply("SLUICE_ENDPOINT"),
                            env.apply("SEQUIN_ENDPOINT"));
                    String key = first(
                            (String) config.get("api_key"), env.apply("SLUICE_API_KEY"), env.apply("SEQUIN_API_KEY"));
                    Tfplugin6.ConfigureProvider.Response.Builder r = Tfplugin6.ConfigureProvider.Response.newBuilder();
                    if (endpoint == null) {
                        r.addDiagnostics(error(
                                "No Sluice endpoint",
                                "Set the provider's endpoint argument, or SLUICE_ENDPOINT (SEQUIN_ENDPOINT for"
                                        + " configurations written for Sequin), e.g. http://localhost:7376.",
                                "endpoint"));
                    }
                    if (key == null) {
                        r.addDiagnostics(error(
                                "No Sluice API key",
                                "Set the provider's api_key argument, or SLUICE_API_KEY (SEQUIN_API_KEY).",
                                "api_key"));
                    }
                    if (endpoint != null && key != null) {
                        try {
                            SluiceApi before = api;
                            api = new SluiceApi(URI.create(endpoint), key);
                            if (before != null) {
                                before.close();
                            }
                        } catch (IllegalArgumentException e) {
                            r.addDiagnostics(error(
                                    "Invalid endpoint", endpoint + " is not a URL: " + e.getMessage(), "endpoint"));
                        }
                    }
                    return r.build();
                },
                d -> Tfplugin6.ConfigureProvider.Response.newBuilder()
                        .addDiagnostics(d)
                        .build());
    }

    @Override
    public void validateResourceConfig(
            Tfplugin6.ValidateResourceConfig.Request request,
            StreamObserver<Tfplugin6.ValidateResourceConfig.Response> out) {
        Tfplugin6.ValidateResourceConfig.Response.Builder r = Tfplugin6.ValidateResourceConfig.Response.newBuilder();
        if (!resources.containsKey(request.getTypeName())) {
            r.addDiagnostics(error("Unknown resource type", request.getTypeName() + " is not served by Sluice", null));
        }
        reply(out, r.build());
    }

    @Override
    public void validateDataResourceConfig(
            Tfplugin6.ValidateDataResourceConfig.Request request,
            StreamObserver<Tfplugin6.ValidateDataResourceConfig.Response> out) {
        Tfplugin6.ValidateDataResourceConfig.Response.Builder r =
                Tfplugin6.ValidateDataResourceConfig.Response.newBuilder();
        if (!dataSources.containsKey(request.getTypeName())) {
            r.addDiagnostics(error("Unknown data source", request.getTypeName() + " is not served by Sluice", null));
        }
        reply(out, r.build());
    }

    @Override
    public void upgradeResourceState(
            Tfplugin6.UpgradeResourceState.Request request,
            StreamObserver<Tfplugin6.UpgradeResourceState.Response> out) {
        answer(
                out,
                () -> {
                    Resource res = resources.get(request.getTypeName());
                    Tfplugin6.UpgradeResourceState.Response.Builder r =
                            Tfplugin6.UpgradeResourceState.Response.newBuilder();
                    if (res == null) {
                        r.addDiagnostics(error("Unknown resource type", request.getTypeName(), null));
                    } else {
                        // Version 0 is the only one so far: attributes a stored state lacks read as null.
                        TfType.ObjectType type = res.schema().type();
                        Object state = JsonValues.read(
                                SluiceApi.JSON.readTree(
                                        request.getRawState().getJson().toByteArray()),
                                type);
                        r.setUpgradedState(dynamic(state, type));
                    }
                    return r.build();
                },
                d -> Tfplugin6.UpgradeResourceState.Response.newBuilder()
                        .addDiagnostics(d)
                        .build());
    }

    @Override
    public void readResource(
            Tfplugin6.ReadResource.Request request, StreamObserver<Tfplugin6.ReadResource.Response> out) {
        answer(
                out,
                () -> {
                    Tfplugin6.ReadResource.Response.Builder r = Tfplugin6.ReadResource.Response.newBuilder();
                    Resource res = resources.get(request.getTypeName());
                    SluiceApi a = api;
                    if (res == null || a == null) {
                        return r.addDiagnostics(notReady(request.getTypeName(), res))
                                .build();
                    }
                    Map<String, @Nullable Object> current = object(request.getCurrentState(), res.schema());
                    try {
                        r.setNewState(dynamic(res.read(a, current), res.schema().type()));
                    } catch (ApiException e) {
                        r.addDiagnostics(error("Cannot read " + res.typeName(), e.getMessage(), null));
                    }
                    return r.setPrivate(request.getPrivate()).build();
                },
                d -> Tfplugin6.ReadResource.Response.newBuilder()
                        .addDiagnostics(d)
                        .build());
    }

    @Override
    public void readDataSource(
            Tfplugin6.ReadDataSource.Request request, StreamObserver<Tfplugin6.ReadDataSource.Response> out) {
        answer(
                out,
                () -> {
                    Tfplugin6.ReadDataSource.Response.Builder r = Tfplugin6.ReadDataSource.Response.newBuilder();
                    DataSource ds = dataSources.get(request.getTypeName());
                    SluiceApi a = api;
                    if (ds == null || a == null) {
                        return r.addDiagnostics(
                                        ds == null
                                                ? error("Unknown data source", request.getTypeName(), null)
                                                : notReady(request.getTypeName(), ds.resource()))
                                .build();
                    }
                    String name =
                            (String) object(request.getConfig(), ds.schema()).get("name");
                    try {
                        r.setState(dynamic(
                                ds.resource().lookup(a, name), ds.schema().type()));
                    } catch (ApiException e) {
                        r.addDiagnostics(error(
                                "Cannot read " + ds.resource().typeName() + " " + name,
                                e.notFound() ? "No such object in Sluice: " + e.getMessage() : e.getMessage(),
                                "name"));
                    }
                    return r.build();
                },
                d -> Tfplugin6.ReadDataSource.Response.newBuilder()
                        .addDiagnostics(d)
                        .build());
    }

    @Override
    public void planResourceChange(
            Tfplugin6.PlanResourceChange.Request request, StreamObserver<Tfplugin6.PlanResourceChange.Response> out) {
        answer(
                out,
                () -> {
                    Tfplugin6.PlanResourceChange.Response.Builder r =
                            Tfplugin6.PlanResourceChange.Response.newBuilder();
                    Resource res = resources.get(request.getTypeName());
                    if (res == null) {
                        return r.addDiagnostics(notReady(request.getTypeName(), null))
                                .build();
                    }
                    Schema schema = res.schema();
                    Map<String, @Nullable Object> proposed = objectOrNull(request.getProposedNewState(), schema);
                    if (proposed == null) { // destroy
                        return r.setPlannedState(request.getProposedNewState()).build();
                    }
                    Map<String, @Nullable Object> prior = objectOrNull(request.getPriorState(), schema);
                    Map<String, @Nullable Object> config = object(request.getConfig(), schema);
                    Planner.Plan plan = Planner.plan(schema, prior, proposed, config);
                    res.refinePlan(plan.planned(), plan.requiresReplace().isEmpty() ? prior : null, config);
                    r.setPlannedState(dynamic(plan.planned(), schema.type()));
                    for (String attr : plan.requiresReplace()) {
                        r.addRequiresReplace(path(attr));
                    }
                    return r.setPlannedPrivate(request.getPriorPrivate()).build();
                },
                d -> Tfplugin6.PlanResourceChange.Response.newBuilder()
                        .addDiagnostics(d)
                        .build());
    }

    @Override
    public void applyResourceChange(
            Tfplugin6.ApplyResourceChange.Request request, StreamObserver<Tfplugin6.ApplyResourceChange.Response> out) {
        answer(
                out,
                () -> {
                    Tfplugin6.ApplyResourceChange.Response.Builder r =
                            Tfplugin6.ApplyResourceChange.Response.newBuilder();
                    Resource res = resources.get(request.getTypeName());
                    SluiceApi a = api;
                    if (res == null || a == null) {
                        return r.addDiagnostics(notReady(request.getTypeName(), res))
                                .build();
                    }
                    Schema schema = res.schema();
                    Map<String, @Nullable Object> prior = objectOrNull(request.getPriorState(), schema);
                    Map<String, @Nullable Object> planned = objectOrNull(request.getPlannedState(), schema);
                    try {
                        Map<String, @Nullable Object> state;
                        if (planned == null) {
                            res.delete(a, prior == null ? Map.of() : prior);
                            state = null;
                        } else if (prior == null) {
                            state = res.create(a, planned);
                        } else {
                            state = res.update(a, prior, planned);
                        }
                        r.setNewState(dynamic(state, schema.type()));
                    } catch (ApiException e) {
                        String what = planned == null ? "delete" : prior == null ? "create" : "update";
                        r.addDiagnostics(error("Cannot " + what + " " + res.typeName(), e.getMessage(), null));
                        // A failed create leaves nothing; a failed update or delete leaves the object as it was.
                        r.setNewState(prior == null ? dynamic(null, schema.type()) : request.getPriorState());
                    }
                    return r.build();
                },
                d -> Tfplugin6.ApplyResourceChange.Response.newBuilder()
                        .addDiagnostics(d)
                        .build());
    }

    @Override
    public void importResourceState(
            Tfplugin6.ImportResourceState.Request request, StreamObserver<Tfplugin6.ImportResourceState.Response> out) {
        answer(
                out,
                () -> {
                    Tfplugin6.ImportResourceState.Response.Builder r =
                            Tfplugin6.ImportResourceState.Response.newBuilder();
                    Resource res = resources.get(request.getTypeName());
                    SluiceApi a = api;
                    if (res == null || a == null) {
                        return r.addDiagnostics(notReady(request.getTypeName(), res))
                                .build();
                    }
                    try {
                        r.addImportedResources(Tfplugin6.ImportResourceState.ImportedResource.newBuilder()
                                .setTypeName(res.typeName())
                                .setState(dynamic(
                                        res.importState(a, request.getId()),
                                        res.schema().type())));
                    } catch (ApiException e) {
                        r.addDiagnostics(error(
                                "Cannot import " + res.typeName() + " " + request.getId(),
                                e.notFound() ? "No such object in Sluice: " + e.getMessage() : e.getMessage(),
                                null));
                    }
                    return r.build();
                },
                d -> Tfplugin6.ImportResourceState.Response.newBuilder()
                        .addDiagnostics(d)
                        .build());
    }

    @Override
    public void stopProvider(
            Tfplugin6.StopProvider.Request request, StreamObserver<Tfplugin6.StopProvider.Response> out) {
        reply(out, Tfplugin6.StopProvider.Response.getDefaultInstance());
    }

    /** Releases the configured API client; called once Terraform has shut the provider down. */
    public void close() {
        SluiceApi a = api;
        if (a != null) {
            a.close();
        }
    }

    /** Answers with what {@code body} builds; a defect in it is answered as a diagnostic, never as a gRPC error. */
    private static <T> void answer(StreamObserver<T> out, Supplier<T> body, Function<Diagnostic, T> failed) {
        T response;
        try {
            response = body.get();
        } catch (RuntimeException e) {
            response = failed.apply(internal(e));
        }
        reply(out, response);
    }

    // ---- values

    @SuppressWarnings("unchecked")
    private static @Nullable Map<String, @Nullable Object> objectOrNull(DynamicValue v, Schema schema) {
        Object o;
        if (!v.getMsgpack().isEmpty()) {
            o = Msgpack.decode(v.getMsgpack().toByteArray(), schema.type());
        } else if (!v.getJson().isEmpty()) {
            o = JsonValues.read(SluiceApi.JSON.readTree(v.getJson().toByteArray()), schema.type());
        } else {
            o = null;
        }
        if (o == Unknown.VALUE) {
            throw new IllegalArgumentException("a whole object is unknown");
        }
        return (Map<String, @Nullable Object>) o;
    }

    private static Map<String, @Nullable Object> object(DynamicValue v, Schema schema) {
        Map<String, @Nullable Object> o = objectOrNull(v, schema);
        if (o == null) {
            Map<String, @Nullable Object> empty = new LinkedHashMap<>();
            schema.attributes().forEach(a -> empty.put(a.name(), null));
            return empty;
        }
        return o;
    }

    private static DynamicValue dynamic(@Nullable Object value, TfType type) {
        return DynamicValue.newBuilder()
                .setMsgpack(ByteString.copyFrom(Msgpack.encode(value, type)))
                .build();
    }

    private static Tfplugin6.AttributePath path(String attribute) {
        return Tfplugin6.AttributePath.newBuilder()
                .addSteps(Tfplugin6.AttributePath.Step.newBuilder().setAttributeName(attribute))
                .build();
    }

    static Diagnostic error(String summary, String detail, @Nullable String attribute) {
        Diagnostic.Builder d = Diagnostic.newBuilder()
                .setSeverity(Diagnostic.Severity.ERROR)
                .setSummary(summary)
                .setDetail(detail);
        if (attribute != null) {
            d.setAttribute(path(attribute));
        }
        return d.build();
    }

    /** A defect of the provider, reported as a diagnostic (with its trace on stderr, which TF_LOG shows). */
    private static Diagnostic internal(RuntimeException e) {
        e.printStackTrace();
        return error("Sluice provider error", e.toString(), null);
    }

    private static Diagnostic notReady(String type, @Nullable Resource res) {
        return res == null
                ? error("Unknown resource type", type + " is not served by Sluice's provider", null)
                : error("Provider not configured", "ConfigureProvider did not succeed; see the errors above", null);
    }

    private static @Nullable String first(@Nullable String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    private static <T> void reply(StreamObserver<T> out, T response) {
        out.onNext(response);
        out.onCompleted();
    }
}
