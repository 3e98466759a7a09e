package dev.sluice.postgres.types;

import static dev.sluice.postgres.types.Render.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.ValueCodec;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TypeRegistryTest {

    /** A pg_type in memory that follows domains and arrays like the real query, and counts lookups. */
    static final class FakeCatalog implements TypeCatalog {
        final Map<Integer, PgType> types = new HashMap<>();
        final List<Integer> lookups = new ArrayList<>();
        SQLException failure;

        FakeCatalog add(PgType t) {
            types.put(t.oid(), t);
            return this;
        }

        @Override
        public synchronized List<PgType> lookup(int oid) throws SQLException {
            lookups.add(oid);
            if (failure != null) {
                throw failure;
            }
            List<PgType> chain = new ArrayList<>();
            PgType t = types.get(oid);
            while (t != null) {
                chain.add(t);
                int next = t.isDomain() ? t.baseType() : t.isArray() ? t.elementType() : 0;
                t = types.get(next);
            }
            return chain;
        }
    }

    private static PgType domain(int oid, String name, int base) {
        return new PgType(oid, name, 'd', base, 0, ',', 'N');
    }

    private static PgType array(int oid, String name, int element) {
        return new PgType(oid, name, 'b', 0, element, ',', 'A');
    }

    @Test
    void builtinsNeedNoCatalog() {
        FakeCatalog catalog = new FakeCatalog();
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThat(registry.typeName(23)).isEqualTo("int4");
        assertThat(json(registry.codecFor(23), "42")).isEqualTo("42");
        assertThat(registry.typeName(1007)).isEqualTo("_int4");
        assertThat(json(registry.codecFor(1007), "{1,NULL}")).isEqualTo("[1,null]");
        assertThat(json(registry.codecFor(1020), "{(1,1),(0,0);(2,2),(1,1)}"))
                .isEqualTo("[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]");
        assertThat(json(registry.codecFor(3802), "{\"a\": 1}")).isEqualTo("{\"a\": 1}");
        assertThat(json(registry.codecFor(1700), "1.50")).isEqualTo("\"1.50\"");
        assertThat(json(registry.codecFor(869), "10.0.0.1/8")).isEqualTo("\"10.0.0.1/8\"");
        assertThat(json(registry.codecFor(22), "1 2")).isEqualTo("\"1 2\"");
        assertThat(catalog.lookups).isEmpty();
    }

    @Test
    void domainOverDomainTakesBaseMapping() {
        FakeCatalog catalog =
                new FakeCatalog().add(domain(16400, "positive_int", 23)).add(domain(16401, "small_positive", 16400));
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThat(json(registry.codecFor(16401), "7")).isEqualTo("7");
        assertThat(registry.typeName(16401)).isEqualTo("small_positive");
        assertThat(json(registry.codecFor(16400), "8")).isEqualTo("8");
        assertThat(catalog.lookups).containsExactly(16401);
    }

    @Test
    void domainOverArrayIsAnArray() {
        FakeCatalog catalog = new FakeCatalog().add(domain(16410, "tags", 1009));
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThat(json(registry.codecFor(16410), "{a,\"b c\"}")).isEqualTo("[\"a\",\"b c\"]");
    }

    @Test
    void arrayOfDomainMapsElementsByBaseType() {
        FakeCatalog catalog = new FakeCatalog().add(domain(16420, "score", 701)).add(array(16421, "_score", 16420));
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThat(json(registry.codecFor(16421), "{1.5,NaN}")).isEqualTo("[1.5,\"NaN\"]");
        assertThat(registry.typeName(16421)).isEqualTo("_score");
    }

    @Test
    void enumsCompositesAndExtensionTypesAreText() {
        FakeCatalog catalog = new FakeCatalog()
                .add(new PgType(16430, "mood", 'e', 0, 0, ',', 'E'))
                .add(array(16431, "_mood", 16430))
                .add(new PgType(16432, "pair", 'c', 0, 0, ',', 'C'))
                .add(new PgType(16433, "hstore", 'b', 0, 0, ',', 'U'))
                .add(array(16434, "_hstore", 16433));
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThat(json(registry.codecFor(16430), "happy")).isEqualTo("\"happy\"");
        assertThat(json(registry.codecFor(16431), "{happy,NULL}")).isEqualTo("[\"happy\",null]");
        assertThat(json(registry.codecFor(16432), "(1,\"a b\")")).isEqualTo("\"(1,\\\"a b\\\")\"");
        assertThat(json(registry.codecFor(16434), "{\"\\\"a\\\"=>\\\"1\\\"\"}"))
                .isEqualTo("[\"\\\"a\\\"=>\\\"1\\\"\"]");
    }

    @Test
    void unknownOidIsTextAndLookedUpOnce() {
        FakeCatalog catalog = new FakeCatalog();
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThat(registry.codecFor(99999)).isSameAs(ValueCodec.STRING);
        assertThat(registry.typeName(99999)).isEqualTo("oid:99999");
        assertThat(catalog.lookups).containsExactly(99999);
    }

    @Test
    void catalogFailureIsReportedAndNotCached() {
        FakeCatalog catalog = new FakeCatalog().add(domain(16440, "d", 25));
        catalog.failure = new SQLException("connection lost", "08006");
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThatThrownBy(() -> registry.codecFor(16440))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("16440")
                .hasMessageContaining("connection lost");

        catalog.failure = null;
        assertThat(json(registry.codecFor(16440), "x")).isEqualTo("\"x\"");
    }

    @Test
    void domainCycleInCorruptCatalogEndsAsText() {
        TypeCatalog catalog = oid -> List.of(domain(16450, "a", 16451), domain(16451, "b", 16450));
        TypeRegistry registry = new TypeRegistry(catalog);

        assertThat(json(registry.codecFor(16450), "1")).isEqualTo("\"1\"");
    }

    @Test
    void concurrentCallersShareOneLookup() throws Exception {
        FakeCatalog catalog = new FakeCatalog().add(domain(16460, "d", 20));
        TypeRegistry registry = new TypeRegistry(catalog);
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<ValueCodec>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return registry.codecFor(16460);
                }));
            }
            start.countDown();
            ValueCodec first = results.get(0).get();
            for (Future<ValueCodec> f : results) {
                assertThat(f.get()).isSameAs(first);
            }
        }
        assertThat(catalog.lookups).containsExactly(16460);
    }
}
