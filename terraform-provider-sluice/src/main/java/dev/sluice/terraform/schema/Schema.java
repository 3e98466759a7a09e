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

    /** The schema as the plugin protocol describes it. */
    public Tfplugin6.Schema toProto() {
        Tfplugin6.Schema.Block.Builder block =
                Tfplugin6.Schema.Block.newBuilder().setVersion(version).setDescription(description);
        attributes.forEach(a -> block.addAttributes(attribute(a)));
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
