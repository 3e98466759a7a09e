package dev.sluice.postgres.types;

import dev.sluice.core.JsonWriter;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;

/** Runs a codec into a JSON string, as the message encoder does. */
public final class Render {
    private Render() {}

    public static String json(ValueCodec codec, String text) {
        return json(codec, text, TimestampFormat.ISO8601);
    }

    static String json(ValueCodec codec, String text, TimestampFormat format) {
        JsonWriter w = new JsonWriter();
        codec.write(w, text, format);
        return w.toString();
    }
}
