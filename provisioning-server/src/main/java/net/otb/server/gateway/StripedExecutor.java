package net.otb.server.gateway;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the sessions' store work off the event loop on a few threads, one box always on the same thread,
 * so one box's messages are handled in order without any per-session queue.
 */
final class StripedExecutor implements AutoCloseable {

    private final ExecutorService[] stripes;

    StripedExecutor(int count) {
        stripes = new ExecutorService[count];
        AtomicInteger index = new AtomicInteger();
        for (int i = 0; i < count; i++) {
            stripes[i] = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "otb-gateway-store-" + index.getAndIncrement());
                t.setDaemon(true);
                return t;
            });
        }
    }

    /** Runs {@code task} on the stripe of {@code key}; returns false when shutting down. */
    boolean execute(String key, Runnable task) {
        try {
            stripes[Math.floorMod(key.hashCode(), stripes.length)].execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (ExecutorService stripe : stripes) {
            stripe.shutdown();
        }
        for (ExecutorService stripe : stripes) {
            try {
                if (!stripe.awaitTermination(5, TimeUnit.SECONDS)) {
                    stripe.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stripe.shutdownNow();
            }
        }
    }
}
