package dev.sluice.postgres.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Column;
import dev.sluice.core.TableId;
import dev.sluice.core.ValueCodec;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RelationColumn;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RelationCacheTest {
    /** A hand-written catalog: relation OID → primary-key column names; records every lookup. */
    static final class FakeCatalog implements PrimaryKeyLookup {
        final Map<Integer, List<String>> keys = new HashMap<>();
        final List<Integer> lookups = new ArrayList<>();

        FakeCatalog with(int relationId, String... keyColumns) {
            keys.put(relationId, List.of(keyColumns));
            return this;
        }

        @Override
        public List<String> primaryKeyColumns(int relationId) {
            lookups.add(relationId);
            return keys.getOrDefault(relationId, List.of());
        }
    }

    static final ValueCodec NUMBER = (out, text, format) -> out.writeNumber(text);

    static RelationCache cache(PrimaryKeyLookup keys) {
        return new RelationCache(
                oid -> oid == 23 ? NUMBER : ValueCodec.STRING,
                oid -> switch (oid) {
                    case 23 -> "int4";
                    case 25 -> "text";
                    default -> "oid" + oid;
                },
                keys);
    }

    static Relation relation(int id, String namespace, String name, char identity, RelationColumn... columns) {
        return new Relation(id, namespace, name, identity, List.of(columns));
    }

    @Test
    void apply_buildsSchemaWithTypesAndCatalogPrimaryKeyInKeyOrder() {
        RelationCache cache = cache(new FakeCatalog().with(100, "tenant", "id"));
        CachedRelation r = cache.apply(relation(
                100,
                "shop",
                "orders",
                'd',
                new RelationColumn(true, "id", 23, -1),
                new RelationColumn(false, "note", 25, -1),
                new RelationColumn(true, "tenant", 25, -1)));

        assertThat(r.relationId()).isEqualTo(100);
        assertThat(r.replicaIdentity()).isEqualTo('d');
        assertThat(r.schema().id()).isEqualTo(new TableId("shop", "orders"));
        assertThat(r.schema().columns())
                .containsExactly(
                        new Column("id", "int4", NUMBER),
                        new Column("note", "text", ValueCodec.STRING),
                        new Column("tenant", "text", ValueCodec.STRING));
        assertThat(r.schema().primaryKey()).containsExactly(2, 0);
        assertThat(r.isKey(0)).isTrue();
        assertThat(r.isKey(1)).isFalse();
        assertThat(cache.get(100)).isSameAs(r);
    }

    @Test
    void apply_keyFlagsComeFromTheRelationMessage_notTheCatalog() {
        // REPLICA IDENTITY FULL flags every column as key; the primary key is still only "id".
        RelationCache cache = cache(new FakeCatalog().with(7, "id"));
        CachedRelation r = cache.apply(relation(
                7, "public", "t", 'f', new RelationColumn(true, "id", 23, -1), new RelationColumn(true, "v", 25, -1)));
        assertThat(r.schema().primaryKey()).containsExactly(0);
        assertThat(r.isKey(1)).isTrue();
    }

    @Test
    void apply_tableWithoutPrimaryKey_hasEmptyKey() {
        RelationCache cache = cache(new FakeCatalog());
        CachedRelation r = cache.apply(relation(8, "public", "log", 'n', new RelationColumn(false, "line", 25, -1)));
        assertThat(r.schema().hasPrimaryKey()).isFalse();
    }

    @Test
    void apply_primaryKeyColumnNotPublished_fallsBackToReplicaIdentityColumns() {
        RelationCache cache = cache(new FakeCatalog().with(9, "id", "hidden"));
        CachedRelation r = cache.apply(relation(
                9, "public", "t", 'd', new RelationColumn(false, "v", 25, -1), new RelationColumn(true, "id", 23, -1)));
        assertThat(r.schema().primaryKey()).containsExactly(1);
    }

    @Test
    void apply_emptyNamespaceMeansPgCatalog() {
        CachedRelation r = cache(new FakeCatalog()).apply(relation(10, "", "pg_thing", 'd'));
        assertThat(r.schema().id()).isEqualTo(new TableId("pg_catalog", "pg_thing"));
    }

    @Test
    void apply_sameIdAgain_replacesSchemaAndLooksUpTheKeyAgain() {
        FakeCatalog catalog = new FakeCatalog().with(11, "id");
        RelationCache cache = cache(catalog);
        CachedRelation before = cache.apply(relation(11, "public", "t", 'd', new RelationColumn(true, "id", 23, -1)));
        CachedRelation after = cache.apply(relation(
                11,
                "public",
                "t",
                'd',
                new RelationColumn(true, "id", 23, -1),
                new RelationColumn(false, "added", 25, -1)));

        assertThat(cache.get(11)).isSameAs(after);
        assertThat(after.schema().columnCount()).isEqualTo(2);
        assertThat(before.schema().columnCount()).isEqualTo(1);
        assertThat(catalog.lookups).containsExactly(11, 11);
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void get_unknownRelation_failsWithTheOid() {
        RelationCache cache = cache(new FakeCatalog());
        assertThatThrownBy(() -> cache.get(-2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unknown relation OID 4294967294");
    }

    @Test
    void clear_forgetsEveryRelation() {
        RelationCache cache = cache(new FakeCatalog());
        cache.apply(relation(12, "public", "t", 'd'));
        cache.clear();
        assertThatThrownBy(() -> cache.get(12)).isInstanceOf(IllegalStateException.class);
    }
}
