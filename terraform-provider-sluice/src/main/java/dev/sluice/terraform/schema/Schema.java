package dev.sluice.terraform.schema;

import com.google.protobuf.ByteString;
import dev.sluice.terraform.proto.Tfplugin6;
import dev.sluice.terraform.wire.TfType;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A resource's, data source's or the provider's schema: its attributes, and its version for state upgrades. */
public record Schema(long version, String description, List<Attribute> attributes) {
    public Schema {
        attributes = List.copyOf(attributes);
    }

    /** The type of a value of this schema: an object of every attribute. */
    public TfType.ObjectType type() {
        Map<String, TfType> m = new LinkedHashMap<>();
        for (Attribute a : attributes) {
            m.put(a.name(), a.type());
        }
        return new TfType.ObjectType(m);
    }

    /**
     * A data source's schema made from a resource's: {@code key} is the one argument, every other attribute is
     * computed (nested ones all through), and blocks become nested attributes, which a data source cannot have set.
     */
    public Schema asDataSource(String key, String description) {
        List<Attribute> out = new java.util.ArrayList<>();
        for (Attribute a : attributes) {
            out.add(a.name().equals(key) ? Attribute.required(key, a.type(), a.description()) : computedCopy(a));
        }
        return new Schema(version, description, out);
    }

    private static Attribute computedCopy(Attribute a) {
        Attribute.Nested n = a.nested();
        if (n == null) {
            Attribute c = Attribute.computed(a.name(), a.type(), a.description());
            return a.sensitive() ? c.asSensitive() : c;
        }
        Attribute[] inner = n.attributes().stream().map(Schema::computedCopy).toArray(Attribute[]::new);
        return Attribute.nested(a.name(), Attribute.Presence.COMPUTED, n.nesting(), a.description(), inner);
    }

    /** The schema as the plugin protocol describes it. */
    public Tfplugin6.Schema toProto() {
        Tfplugin6.Schema.Block.Builder block =
                Tfplugin6.Schema.Block.newBuilder().setVersion(version).setDescription(description);
        for (Attribute a : attributes) {
            if (a.block() && a.nested() != null) {
                // A single nested block: its value is the object, or null when the configuration has no such block.
                Tfplugin6.Schema.Block.Builder inner =
                        Tfplugin6.Schema.Block.newBuilder().setDescription(a.description());
                a.nested().attributes().forEach(x -> inner.addAttributes(attribute(x)));
                block.addBlockTypes(Tfplugin6.Schema.NestedBlock.newBuilder()
                        .setTypeName(a.name())
                        .setNesting(Tfplugin6.Schema.NestedBlock.NestingMode.SINGLE)
                        .setBlock(inner));
            } else {
                block.addAttributes(attribute(a));
            }
        }
        return Tfplugin6.Schema.newBuilder().setVersion(version).setBlock(block).build();
    }

    private static Tfplugin6.Schema.Attribute attribute(Attribute a) {
        Tfplugin6.Schema.Attribute.Builder b = Tfplugin6.Schema.Attribute.newBuilder()
                .setName(a.name())
                .setDescription(a.description())
                .setRequired(a.presence() == Attribute.Presence.REQUIRED)
                .setOptional(a.presence() == Attribute.Presence.OPTIONAL
                        || a.presence() == Attribute.Presence.OPTIONAL_COMPUTED)
                .setComputed(a.computed())
                .setSensitive(a.sensitive());
        Attribute.Nested n = a.nested();
        if (n == null) {
            b.setType(ByteString.copyFrom(a.type().json(), StandardCharsets.UTF_8));
        } else {
            // A nested attribute, not a plain object type: its optional attributes may be left out in configuration.
            Tfplugin6.Schema.Object.Builder o = Tfplugin6.Schema.Object.newBuilder()
                    .setNesting(
                            n.nesting() == Attribute.Nesting.SINGLE
                                    ? Tfplugin6.Schema.Object.NestingMode.SINGLE
                                    : Tfplugin6.Schema.Object.NestingMode.LIST);
            n.attributes().forEach(x -> o.addAttributes(attribute(x)));
            b.setNestedType(o);
        }
        return b.build();
    }
}
