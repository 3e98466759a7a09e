package dev.sluice.server.api;

import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.Masks;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/** {@code /api/destinations/http_endpoints}: the same keys as the yaml; encrypted header values are masked. */
final class HttpEndpointResource implements Resource {
    private static final Set<String> READ_ONLY = Set.of("id");

    @Override
    public Kind kind() {
        return Kind.HTTP_ENDPOINT;
    }

    @Override
    public String label() {
        return "http endpoint";
    }

    @Override
    public Set<String> readOnly() {
        return READ_ONLY;
    }

    @Override
    public IntFunction<ObjectNode> renderer(ConfigSnapshot snapshot, SluiceConfig view) {
        return index -> render(view.httpEndpoints().get(index), snapshot.id(Kind.HTTP_ENDPOINT, index));
    }

    private static ObjectNode render(HttpEndpointConfig h, UUID id) {
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("id", id.toString());
        n.put("name", h.name());
        n.put("url", h.url().toString());
        ObjectNode headers = n.putObject("headers");
        h.headers().forEach(headers::put);
        ObjectNode encrypted = n.putObject("encrypted_headers");
        h.encryptedHeaders().forEach(encrypted::put);
        return n;
    }

    @Override
    public ObjectNode toEntry(ObjectNode body, @Nullable ObjectNode existing, ConfigSnapshot snapshot) {
        ObjectNode entry = existing == null ? Requests.JSON.createObjectNode() : existing.deepCopy();
        for (var e : body.properties()) {
            if (!READ_ONLY.contains(e.getKey())) {
                entry.set(e.getKey(), e.getValue());
            }
        }
        Masks.keepMasked(entry, existing);
        return entry;
    }
}
