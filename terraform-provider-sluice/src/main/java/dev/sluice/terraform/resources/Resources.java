package dev.sluice.terraform.resources;

import dev.sluice.terraform.provider.Resource;
import java.util.List;

/** Every resource type the provider serves. */
public final class Resources {
    private Resources() {}

    public static List<Resource> all() {
        return List.of(
                new FunctionResource(),
                new DatabaseResource("sluice_database"),
                new DatabaseResource("sequin_database"),
                new HttpEndpointResource());
    }
}
