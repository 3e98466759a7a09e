package dev.sluice.functions;

import static dev.sluice.functions.Messages.insert;
import static dev.sluice.functions.Messages.text;
import static dev.sluice.functions.Messages.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** What functions see and return. */
class CodeFunctionTest {
    private static final byte[] ORDER = insert("{\"id\":1,\"name\":\"ada\",\"secret\":\"s3\",\"total\":12.50}");

    @Test
    void transform_reshapesAndDropsKeys() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record, changes, metadata) {
                  delete record.secret;
                  return {id: record.id, who: record.name.toUpperCase(), action, kept: Object.keys(record)};
                }""")) {
            assertThat(text(f.call(ORDER)))
                    .isEqualTo("{\"id\":1,\"who\":\"ADA\",\"action\":\"insert\",\"kept\":[\"id\",\"name\",\"total\"]}");
        }
    }

    @Test
    void transform_mayReturnAnyJsonValue_undefinedBeingNull() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record) {
                  switch (record.want) {
                    case 'string': return 'héllo';
                    case 'number': return 42.5;
                    case 'null': return null;
                    case 'array': return [1, 'two'];
                    default: return undefined;
                  }
                }""")) {
            assertThat(text(f.call(insert("{\"want\":\"string\"}")))).isEqualTo("\"héllo\"");
            assertThat(text(f.call(insert("{\"want\":\"number\"}")))).isEqualTo("42.5");
            assertThat(text(f.call(insert("{\"want\":\"null\"}")))).isEqualTo("null");
            assertThat(text(f.call(insert("{\"want\":\"array\"}")))).isEqualTo("[1,\"two\"]");
            assertThat(text(f.call(insert("{\"want\":\"undefined\"}")))).isEqualTo("null");
        }
    }

    @Test
    void metadata_behavesAsAnOrdinaryObject_thoughParsedOnlyWhenRead() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record, changes, metadata) {
                  const copy = {...metadata};
                  metadata.extra = 1;
                  return [typeof metadata, Object.getPrototypeOf(metadata) === Object.prototype,
                          Array.isArray(metadata), 'table_name' in metadata, Object.keys(copy).length > 3,
                          metadata.extra, JSON.parse(JSON.stringify(metadata)).table_name, metadata.nope,
                          delete metadata.extra, 'extra' in metadata];
                }""")) {
            assertThat(text(f.call(ORDER))).isEqualTo("[\"object\",true,false,true,true,1,\"orders\",null,true,false]");
        }
        try (CodeFunction f = Js.transform("function transform(a, r, c, metadata) { return metadata; }")) {
            tools.jackson.databind.ObjectMapper json =
                    tools.jackson.databind.json.JsonMapper.builder().build();
            assertThat(json.readTree(f.call(ORDER)))
                    .isEqualTo(json.readTree(ORDER).get("metadata"));
        }
    }

    @Test
    void transform_seesValuesAsTheJsonCarriesThem() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record, changes, metadata) {
                  return [typeof record.big, record.big, record.total, typeof record.doc, record.doc.tags[1], changes];
                }""")) {
            byte[] m = insert("{\"big\":\"9223372036854775807\",\"total\":12.50,\"doc\":{\"tags\":[\"a\",\"b\"]}}");
            assertThat(text(f.call(m))).isEqualTo("[\"string\",\"9223372036854775807\",12.5,\"object\",\"b\",null]");
        }
    }

    @Test
    void transform_seesMetadata() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record, changes, metadata) {
                  return metadata.table_schema + '.' + metadata.table_name + ' by ' + metadata.consumer.name
                      + ' pks ' + metadata.record_pks.join(',');
                }""")) {
            assertThat(text(f.call(ORDER))).isEqualTo("\"public.orders by orders-sink pks 1\"");
        }
    }

    @Test
    void transform_definedWithConstArrow_isFound() throws Exception {
        try (CodeFunction f = Js.transform("const transform = (action, record) => record.id * 2;")) {
            assertThat(text(f.call(ORDER))).isEqualTo("2");
        }
    }

    @Test
    void filter_returnsTrueOrFalse_andSeesChangesOfUpdates() throws Exception {
        try (CodeFunction f = Js.filter(
                "function filter(action, record, changes) { return changes != null && 'status' in changes }")) {
            assertThat(f.test(update("{\"id\":1,\"status\":\"paid\"}", "{\"status\":\"new\"}")))
                    .isTrue();
            assertThat(f.test(update("{\"id\":1,\"status\":\"paid\"}", "{\"note\":\"x\"}")))
                    .isFalse();
            assertThat(f.test(insert("{\"id\":1,\"status\":\"paid\"}"))).isFalse();
            assertThat(text(f.call(update("{\"id\":1}", "{\"status\":null}")))).isEqualTo("true");
        }
    }

    @Test
    void filter_returningAnythingButABoolean_isAResultError() throws Exception {
        try (CodeFunction f = Js.filter("""
                function filter(action, record) {
                  return record.v;
                }""")) {
            for (String v : List.of("1", "\"true\"", "null", "{\"a\":1}")) {
                assertThatThrownBy(() -> f.test(insert("{\"v\":" + v + "}")))
                        .isInstanceOfSatisfying(
                                FunctionError.class, e -> assertThat(e.kind()).isEqualTo(FunctionError.Kind.RESULT))
                        .hasMessage("function fn: filter must return true or false, got " + v);
            }
            assertThatThrownBy(() -> f.test(insert("{}")))
                    .hasMessage("function fn: filter must return true or false, got undefined");
            assertThatThrownBy(() -> f.test(insert("{\"v\":\"" + "x".repeat(300) + "\"}")))
                    .hasMessageEndingWith("x...");
        }
    }

    @Test
    void test_onATransform_isRefused() {
        try (CodeFunction f = Js.transform("function transform() { return true }")) {
            assertThatThrownBy(() -> f.test(ORDER)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void route_returnsAnObject_orIsAResultError() throws Exception {
        try (CodeFunction f = Js.route("""
                function route(action, record, changes, metadata) {
                  if (record.bad === 'string') return 'orders';
                  if (record.bad === 'array') return ['orders'];
                  if (record.bad === 'null') return null;
                  if (record.bad === 'map') return new Map();
                  return {topic: 'sluice.' + metadata.table_name, message_key: String(record.id)};
                }""")) {
            assertThat(text(f.call(ORDER))).isEqualTo("{\"topic\":\"sluice.orders\",\"message_key\":\"1\"}");
            assertThatThrownBy(() -> f.call(insert("{\"bad\":\"string\"}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(FunctionError.Kind.RESULT))
                    .hasMessage("function fn: route must return an object, got a string");
            assertThatThrownBy(() -> f.call(insert("{\"bad\":\"array\"}"))).hasMessageEndingWith("got an array");
            assertThatThrownBy(() -> f.call(insert("{\"bad\":\"null\"}"))).hasMessageEndingWith("got null");
            assertThatThrownBy(() -> f.call(insert("{\"bad\":\"map\"}"))).hasMessageEndingWith("got a Map");
        }
    }

    @Test
    void call_fromPlatformAndVirtualThreadsAtOnce_givesEachItsOwnResult() throws Exception {
        try (CodeFunction f = Js.transform(
                        "function transform(action, record) { return {id: record.id, twice: record.id * 2} }");
                ExecutorService platform = Executors.newFixedThreadPool(4);
                ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int t = 0; t < 40; t++) {
                int base = t * 1_000;
                tasks.add(() -> {
                    int ok = 0;
                    for (int i = base; i < base + 250; i++) {
                        String out = text(f.call(insert("{\"id\":" + i + "}")));
                        if (out.equals("{\"id\":" + i + ",\"twice\":" + 2 * i + "}")) {
                            ok++;
                        }
                    }
                    return ok;
                });
            }
            List<Future<Integer>> results = new ArrayList<>(platform.invokeAll(tasks.subList(0, 4)));
            results.addAll(virtual.invokeAll(tasks.subList(4, tasks.size())));
            for (Future<Integer> r : results) {
                assertThat(r.get()).isEqualTo(250);
            }
        }
    }

    @Test
    void call_fromAVirtualThread_works() throws Exception {
        try (CodeFunction f = Js.filter("function filter(action) { return action === 'insert' }")) {
            Boolean[] passed = new Boolean[1];
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    passed[0] = f.test(ORDER);
                } catch (FunctionError e) {
                    throw new AssertionError(e);
                }
            });
            t.join();
            assertThat(passed[0]).isTrue();
        }
    }

    @Test
    void call_afterClose_isRefused() {
        CodeFunction f = Js.transform("function transform() { return 1 }");
        f.close();
        f.close();
        assertThatThrownBy(() -> f.call(ORDER)).isInstanceOf(IllegalStateException.class);
    }
}
