package dev.sluice.client;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One page of a list: its items, oldest first, and the cursor of the next page ({@code null} on the last). Pass the
 * cursor as {@code after} to the same {@code list} call for the next page, or use {@code stream()}, which does that
 * as it is consumed.
 *
 * @param items the page's items; immutable
 * @param nextCursor where the next page starts, or null when this is the last page
 * @param <T> the resource
 */
public record Page<T>(List<T> items, @Nullable String nextCursor) {
    public Page {
        items = List.copyOf(Objects.requireNonNull(items, "items"));
    }

    /** The next page's cursor, empty on the last page. */
    public Optional<String> next() {
        return Optional.ofNullable(nextCursor);
    }

    /** Whether another page follows. */
    public boolean hasMore() {
        return nextCursor != null;
    }
}
