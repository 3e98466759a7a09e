package dev.sluice.client;

import java.util.Collections;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Walks the pages of a list one request at a time, as the stream built on it is consumed: the first page is fetched
 * by the first element the terminal operation asks for, the next one when the current page is used up.
 */
final class PageSpliterator<T> extends Spliterators.AbstractSpliterator<T> {
    private final Function<@Nullable String, Page<T>> fetch;
    private Iterator<T> current = Collections.emptyIterator();
    private @Nullable String next;
    private boolean started;

    PageSpliterator(Function<@Nullable String, Page<T>> fetch) {
        super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
        this.fetch = fetch;
    }

    @Override
    public boolean tryAdvance(Consumer<? super T> action) {
        while (!current.hasNext()) {
            if (started && next == null) {
                return false;
            }
            Page<T> page = fetch.apply(next);
            started = true;
            next = page.nextCursor();
            current = page.items().iterator();
        }
        action.accept(current.next());
        return true;
    }
}
