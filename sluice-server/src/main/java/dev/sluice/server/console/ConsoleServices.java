package dev.sluice.server.console;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.ApiTokens;
import dev.sluice.server.api.Engine;
import dev.sluice.server.metrics.SluiceMetrics;
import dev.sluice.server.store.StoredConfig;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the console's pages read: the saved configuration and message store ({@code stored}), the running pipelines
 * ({@code engine}, {@code pipelines}), the meters ({@code metrics}), as {@code /api} reads them. Pages change nothing
 * themselves: their forms and buttons call {@code /api} from the browser with the session cookie.
 */
public record ConsoleServices(
        StoredConfig stored,
        Engine engine,
        Supplier<List<DatabasePipeline.Status>> pipelines,
        ApiTokens tokens,
        SluiceMetrics metrics,
        Clock clock,
        dev.sluice.server.notify.@org.jspecify.annotations.Nullable Webhooks webhooks) {}
