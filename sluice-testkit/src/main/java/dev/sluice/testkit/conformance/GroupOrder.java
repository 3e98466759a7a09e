package dev.sluice.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.TestMessages;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What arrived at a peer, by group: each group's sequence numbers ({@link TestMessages#seq}) in the order the peer
 * keeps them.
 */
final class GroupOrder {
    private final Map<String, List<Long>> byGroup;

    private GroupOrder(Map<String, List<Long>> byGroup) {
        this.byGroup = byGroup;
    }

    /** Groups the bodies; a group found in two of the peer's ordered lists has no order at the peer, and fails. */
    static GroupOrder of(List<List<String>> arrived) {
        Map<String, List<Long>> byGroup = new LinkedHashMap<>();
        Map<String, Integer> listOf = new LinkedHashMap<>();
        for (int l = 0; l < arrived.size(); l++) {
            for (String json : arrived.get(l)) {
                String group = TestMessages.group(json);
                Integer before = listOf.putIfAbsent(group, l);
                assertThat(before == null || before == l)
                        .as("group %s kept in one ordered stream of the peer (a partition, shard or FIFO group)", group)
                        .isTrue();
                byGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(TestMessages.seq(json));
            }
        }
        return new GroupOrder(byGroup);
    }

    /** Each group holds exactly {@code 0 .. n-1}, in order, once each. */
    void assertExactly(Map<String, Integer> sent) {
        assertThat(byGroup.keySet()).as("groups").containsExactlyInAnyOrderElementsOf(sent.keySet());
        sent.forEach((group, n) ->
                assertThat(byGroup.get(group)).as("group " + group).isEqualTo(range(n)));
    }

    /**
     * At least once, in order: each group holds every one of {@code 0 .. n-1}, and a consumer applying them in
     * arrival order ends at each one's last copy in order: a redelivery repeats what came before, it never moves an
     * older message after a newer one for good.
     */
    void assertAtLeastOnceInOrder(Map<String, Integer> sent) {
        assertThat(byGroup.keySet()).as("groups").containsExactlyInAnyOrderElementsOf(sent.keySet());
        sent.forEach((group, n) -> {
            List<Long> got = byGroup.get(group);
            assertThat(new LinkedHashSet<>(got))
                    .as("group %s: nothing lost", group)
                    .containsAll(range(n));
            assertThat(lastOccurrences(got))
                    .as("group %s, each message at its last copy", group)
                    .isEqualTo(range(n));
        });
    }

    /** Each group's messages, each at its last copy, are exactly {@code expected}'s. */
    void assertLastCopiesInOrder(Map<String, List<Long>> expected) {
        assertThat(byGroup.keySet()).as("groups").containsExactlyInAnyOrderElementsOf(expected.keySet());
        expected.forEach((group, seqs) -> assertThat(lastOccurrences(byGroup.get(group)))
                .as("group " + group)
                .isEqualTo(seqs));
    }

    private static List<Long> range(int n) {
        List<Long> out = new ArrayList<>(n);
        for (long s = 0; s < n; s++) {
            out.add(s);
        }
        return out;
    }

    private static List<Long> lastOccurrences(List<Long> seqs) {
        LinkedHashSet<Long> last = new LinkedHashSet<>();
        for (Long s : seqs) {
            last.remove(s);
            last.add(s);
        }
        return List.copyOf(last);
    }
}
