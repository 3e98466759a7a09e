package dev.sluice.postgres.types;

import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import java.io.StringWriter;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/** Runs a codec into a JSON string, as the message encoder does. */
final class Render {
    private static final JsonFactory JSON = new JsonFactory();

    private Render() {}

    static String json(ValueCodec codec, String text) {
        return json(codec, text, TimestampFormat.ISO8601);
    }

    static String json(ValueCodec codec, String text, TimestampFormat format) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), w)) {
            codec.write(g, text, format);
        }
        return w.toString();
    }
}
