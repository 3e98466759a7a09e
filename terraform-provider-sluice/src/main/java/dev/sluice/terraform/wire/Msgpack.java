package dev.sluice.terraform.wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Values in the plugin protocol's msgpack encoding (DynamicValue), always against a type: a Java value is {@code null},
 * {@link Unknown#VALUE}, a {@code String}, a {@code BigDecimal} (number), a {@code Boolean}, a {@code List} (list,
 * set) or a {@code Map<String, Object>} (map, object).
 *
 * <p>Rules of the format: an object carries every attribute of its type, nulls explicit (Terraform refuses an object
 * with missing or extra attributes); an unknown is extension type 0 with a one-byte payload (written as Terraform
 * writes it), and any extension type is read as unknown (type 12 carries refinements, which this provider does not
 * use); a number is an integer or a float, or a decimal string when neither holds it exactly.
 */
public final class Msgpack {
    private Msgpack() {}

    /** {@code value} encoded as {@code type}. */
    public static byte[] encode(@Nullable Object value, TfType type) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            write(p, value, type, "");
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of {@code bytes}, read as {@code type}. */
    public static @Nullable Object decode(byte[] bytes, TfType type) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            return read(u, type, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(MessageBufferPacker p, @Nullable Object v, TfType type, String path) throws IOException {
        if (v == null) {
            p.packNil();
            return;
        }
        if (v == Unknown.VALUE) {
            p.packExtensionTypeHeader((byte) 0, 1);
            p.writePayload(new byte[] {0});
            return;
        }
        switch (type) {
            case TfType.Primitive prim -> {
                switch (prim.name()) {
                    case "string" -> p.packString(expect(v, String.class, path));
                    case "bool" -> p.packBoolean(expect(v, Boolean.class, path));
                    default -> writeNumber(p, v, path);
                }
            }
            case TfType.Collection c
            when c.kind() == TfType.Collection.Kind.MAP -> {
                Map<?, ?> m = expect(v, Map.class, path);
                p.packMapHeader(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    p.packString((String) e.getKey());
                    write(p, e.getValue(), c.element(), path + "." + e.getKey());
                }
            }
            case TfType.Collection c -> {
                List<?> l = expect(v, List.class, path);
                p.packArrayHeader(l.size());
                for (int i = 0; i < l.size(); i++) {
                    write(p, l.get(i), c.element(), path + "[" + i + "]");
                }
            }
            case TfType.ObjectType o -> {
                Map<?, ?> m = expect(v, Map.class, path);
                for (Object k : m.keySet()) {
                    if (!o.attributes().containsKey(k)) {
                        throw new IllegalArgumentException("unsupported attribute " + path + "." + k);
                    }
                }
                p.packMapHeader(o.attributes().size());
                for (Map.Entry<String, TfType> a : o.attributes().entrySet()) {
                    p.packString(a.getKey());
                    write(p, m.get(a.getKey()), a.getValue(), path + "." + a.getKey());
                }
            }
        }
    }

    private static void writeNumber(MessageBufferPacker p, Object v, String path) throws IOException {
        BigDecimal d = v instanceof BigDecimal b
                ? b
                : v instanceof Number n ? new BigDecimal(n.toString()) : new BigDecimal(expect(v, String.class, path));
        try {
            p.packLong(d.longValueExact());
            return;
        } catch (ArithmeticException notALong) {
            // fractional or too large: a float when it is exact, else the decimal string
        }
        double f = d.doubleValue();
        if (!Double.isInfinite(f) && new BigDecimal(f).compareTo(d) == 0) {
            p.packDouble(f);
        } else {
            p.packString(d.toPlainString());
        }
    }

    private static <T> T expect(Object v, Class<T> c, String path) {
        if (!c.isInstance(v)) {
            throw new IllegalArgumentException("value at " + (path.isEmpty() ? "the root" : path) + " is a "
                    + v.getClass().getSimpleName() + ", not a " + c.getSimpleName());
        }
        return c.cast(v);
    }

    private static @Nullable Object read(MessageUnpacker u, TfType type, String path) throws IOException {
        MessageFormat f = u.getNextFormat();
        if (f.getValueType() == ValueType.NIL) {
            u.unpackNil();
            return null;
        }
        if (f.getValueType() == ValueType.EXTENSION) {
            int len = u.unpackExtensionTypeHeader().getLength();
            u.readPayload(len);
            return Unknown.VALUE;
        }
        return switch (type) {
            case TfType.Primitive prim ->
                switch (prim.name()) {
                    case "string" -> u.unpackString();
                    case "bool" -> u.unpackBoolean();
                    default -> readNumber(u, f);
                };
            case TfType.Collection c
            when c.kind() == TfType.Collection.Kind.MAP -> {
                int n = u.unpackMapHeader();
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    String k = u.unpackString();
                    m.put(k, read(u, c.element(), path + "." + k));
                }
                yield m;
            }
            case TfType.Collection c -> {
                int n = u.unpackArrayHeader();
                List<Object> l = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    l.add(read(u, c.element(), path + "[" + i + "]"));
                }
                yield l;
            }
            case TfType.ObjectType o -> {
                int n = u.unpackMapHeader();
                Map<String, Object> m = new LinkedHashMap<>();
                for (String a : o.attributes().keySet()) {
                    m.put(a, null);
                }
                for (int i = 0; i < n; i++) {
                    String k = u.unpackString();
                    TfType t = o.attributes().get(k);
                    if (t == null) {
                        throw new IllegalArgumentException("unsupported attribute " + path + "." + k);
                    }
                    m.put(k, read(u, t, path + "." + k));
                }
                yield m;
            }
        };
    }

    private static BigDecimal readNumber(MessageUnpacker u, MessageFormat f) throws IOException {
        return switch (f.getValueType()) {
            case INTEGER -> {
                BigInteger i = u.unpackBigInteger();
                yield new BigDecimal(i);
            }
            case FLOAT -> BigDecimal.valueOf(u.unpackDouble());
            case STRING -> new BigDecimal(u.unpackString());
            default -> throw new IllegalArgumentException("not a number: " + f);
        };
    }
}
