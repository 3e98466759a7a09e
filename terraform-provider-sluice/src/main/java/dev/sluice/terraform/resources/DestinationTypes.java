package dev.sluice.terraform.resources;

import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.wire.TfType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Sluice's destination types and their fields, read from {@code destinations.json}: what the server's sink providers
 * declare (DestinationCatalogueTest keeps the two equal), held as data so that the provider starts without loading
 * any sink's classes.
 *
 * <p>The {@code destination} attribute of a sink is one object of every type's fields, as in the seeds' provider:
 * {@code type} is required, and each field is optional and, but for secrets, computed (the server fills defaults and
 * values it infers, such as an SQS region); fields of other types than the configured one are planned as null.
 */
final class DestinationTypes {
    /** One field of a destination type, as the sink declares it. */
    record Field(String name, String type, boolean secret, List<String> allowed, String doc) {
        TfType tfType() {
            return switch (type) {
                case "integer" -> TfType.NUMBER;
                case "boolean" -> TfType.BOOL;
                case "string_list" -> TfType.list(TfType.STRING);
                case "object" -> TfType.map(TfType.STRING);
                default -> TfType.STRING; // string, and reference (an HTTP endpoint's name)
            };
        }
    }

    /** A destination type: its name, other names it accepts, and its fields. */
    record Type(String type, List<String> aliases, List<Field> fields) {
        boolean has(String field) {
            return fields.stream().anyMatch(f -> f.name().equals(field));
        }

        @Nullable
        Field field(String name) {
            return fields.stream()
                    .filter(f -> f.name().equals(name))
                    .findFirst()
                    .orElse(null);
        }
    }

    private static final DestinationTypes LOADED = read();

    private final List<Type> types;
    private final List<Attribute> attributes;

    private DestinationTypes(List<Type> types) {
        this.types = List.copyOf(types);
        this.attributes = union(types);
    }

    static DestinationTypes load() {
        return LOADED;
    }

    List<Type> all() {
        return types;
    }

    /** The type named {@code name} or by one of its aliases; null for none (the server then explains). */
    @Nullable
    Type find(@Nullable String name) {
        if (name == null) {
            return null;
        }
        for (Type t : types) {
            if (t.type().equalsIgnoreCase(name) || t.aliases().stream().anyMatch(a -> a.equalsIgnoreCase(name))) {
                return t;
            }
        }
        return null;
    }

    /** The destination object's attributes: {@code type}, then every type's fields once. */
    List<Attribute> attributes() {
        return attributes;
    }

    private static List<Attribute> union(List<Type> types) {
        StringBuilder names = new StringBuilder();
        for (Type t : types) {
            names.append(names.isEmpty() ? "" : ", ").append(t.type());
        }
        Map<String, Attribute> out = new LinkedHashMap<>();
        out.put("type", Attribute.required("type", TfType.STRING, "The destination type: " + names + "."));
        for (Type t : types) {
            for (Field f : t.fields()) {
                Attribute prior = out.get(f.name());
                if (prior != null) {
                    if (!prior.type().equals(f.tfType())) {
                        throw new IllegalStateException("destination field " + f.name() + " has two types");
                    }
                    if (f.secret() && !prior.sensitive()) {
                        out.put(f.name(), prior.asSensitive());
                    }
                    continue;
                }
                String doc = t.type() + ": " + f.doc()
                        + (f.allowed().isEmpty() ? "" : " (" + String.join(", ", f.allowed()) + ")");
                // A secret is never read back, so it is what the configuration says: not computed.
                Attribute a = f.secret()
                        ? Attribute.optional(f.name(), f.tfType(), doc).asSensitive()
                        : Attribute.optionalComputed(f.name(), f.tfType(), doc);
                // The seeds' provider also hides access key IDs in plans, which the server shows as they are.
                out.put(f.name(), f.name().endsWith("access_key_id") ? a.asSensitive() : a);
            }
        }
        return List.copyOf(out.values());
    }

    private static DestinationTypes read() {
        try (InputStream in = DestinationTypes.class.getResourceAsStream("destinations.json")) {
            if (in == null) {
                throw new IllegalStateException("destinations.json is missing from the provider");
            }
            List<Type> types = new ArrayList<>();
            for (JsonNode t : SluiceApi.JSON.readTree(in)) {
                List<Field> fields = new ArrayList<>();
                for (JsonNode f : t.path("fields")) {
                    fields.add(new Field(
                            f.path("name").asString(),
                            f.path("type").asString(),
                            f.path("secret").asBoolean(),
                            texts(f.path("allowed")),
                            f.path("doc").asString()));
                }
                types.add(new Type(t.path("type").asString(), texts(t.path("aliases")), List.copyOf(fields)));
            }
            return new DestinationTypes(types);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> texts(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asString()));
        return List.copyOf(out);
    }
}
