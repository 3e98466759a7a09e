package dev.sluice.sink.webhook;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Flow;

/** Reads a whole response body but keeps only its first {@code limit} bytes. */
final class PrefixSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
    private final byte[] prefix;
    private int length;

    PrefixSubscriber(int limit) {
        this.prefix = new byte[limit];
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    // Reactive Streams signals are serial, so no locking is needed.
    @Override
    public void onNext(List<ByteBuffer> buffers) {
        for (ByteBuffer b : buffers) {
            int n = Math.min(b.remaining(), prefix.length - length);
            b.get(prefix, length, n);
            length += n;
        }
    }

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}

    byte[] bytes() {
        return Arrays.copyOf(prefix, length);
    }
}
