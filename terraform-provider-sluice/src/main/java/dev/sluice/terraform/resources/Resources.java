package dev.sluice.terraform.resources;

import dev.sluice.terraform.provider.Resource;
import java.util.List;

/** Every resource type the provider serves, under Sluice's names and the seeds' {@code sequin_} names. */
public final class Resources {
    private Resources() {}

    public static List<Resource> all() {
        return List.of(
                new FunctionResource(),
                new HttpEndpointResource(),
                new DatabaseResource("sluice_database"),
                new DatabaseResource("sequin_database"),
                new SinkConsumerResource("sluice_sink_consumer"),
                new SinkConsumerResource("sequin_sink_consumer"),
                new BackfillResource("sluice_backfill"),
                new BackfillResource("sequin_backfill"));
    }

    /** The data sources: a database and a sink, looked up by name (or ID). */
    public static List<Resource> dataSources() {
        return List.of(
                new DatabaseResource("sluice_database"),
                new DatabaseResource("sequin_database"),
                new SinkConsumerResource("sluice_sink_consumer"),
                new SinkConsumerResource("sequin_sink_consumer"));
    }
}
