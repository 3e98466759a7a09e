package dev.sluice.terraform.wire;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Terraform value type (cty's type system), as the plugin protocol writes it in a schema: JSON such as {@code
 * "string"} or {@code ["list","string"]}.
 */
public sealed interface TfType {
    /** The type as the protocol's JSON. */
    String json();

    TfType STRING = new Primitive("string");
    TfType NUMBER = new Primitive("number");
    TfType BOOL = new Primitive("bool");

    /** {@code string}, {@code number} or {@code bool}. */
    record Primitive(String name) implements TfType {
        @Override
        public String json() {
            return "\"" + name + "\"";
        }
    }

    /** {@code list}, {@code set} or {@code map} of one element type. */
    record Collection(Kind kind, TfType element) implements TfType {
        /** The collection kinds. */
        public enum Kind {
            LIST,
            SET,
            MAP
        }

        @Override
        public String json() {
            return "[\"" + kind.name().toLowerCase(java.util.Locale.ROOT) + "\"," + element.json() + "]";
        }
    }

    /** An object: a fixed set of named attributes, every one present in a value (null when unset). */
    record ObjectType(Map<String, TfType> attributes) implements TfType {
        public ObjectType {
            attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        }

        @Override
        public String json() {
            StringBuilder b = new StringBuilder("[\"object\",{");
            String sep = "";
            for (Map.Entry<String, TfType> e : attributes.entrySet()) {
                b.append(sep)
                        .append('"')
                        .append(e.getKey())
                        .append("\":")
                        .append(e.getValue().json());
                sep = ",";
            }
            return b.append("}]").toString();
        }
    }

    static TfType list(TfType element) {
        return new Collection(Collection.Kind.LIST, element);
    }

    static TfType set(TfType element) {
        return new Collection(Collection.Kind.SET, element);
    }

    static TfType map(TfType element) {
        return new Collection(Collection.Kind.MAP, element);
    }
}
