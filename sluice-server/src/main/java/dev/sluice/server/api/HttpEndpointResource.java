package dev.sluice.server.api;

import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.store.MetadataStore.Kind;
import dev.sluice.server.store.StoredConfig;
import java.util.Set;
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
    public ObjectNode render(StoredConfig.Loaded loaded, int index, boolean showSensitive) {
        HttpEndpointConfig h = loaded.config().httpEndpoints().get(index);
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("id", String.valueOf(loaded.draft().id(Kind.HTTP_ENDPOINT, index)));
        n.put("name", h.name());
        n.put("url", h.url().toString());
        ObjectNode headers = n.putObject("headers");
        h.headers().forEach(headers::put);
        ObjectNode encrypted = n.putObject("encrypted_headers");
        h.encryptedHeaders().forEach((k, v) -> encrypted.put(k, Obfuscate.secret(v, showSensitive)));
        return n;
    }

    @Override
    public ObjectNode toEntry(ObjectNode body, @Nullable ObjectNode existing, StoredConfig.Loaded loaded) {
        ObjectNode entry = existing == null ? Requests.JSON.createObjectNode() : existing.deepCopy();
        for (var e : body.properties()) {
            if (!READ_ONLY.contains(e.getKey())) {
                entry.set(e.getKey(), e.getValue());
            }
        }
        StoredConfig.keepMaskedSecrets(entry, existing);
        return entry;
    }
}
