package net.otb.simulator.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.IntConsumer;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.fleet.SimulatedDevice;

/**
 * Registers simulated boxes with the server and gives each an active service of its own, through the admin
 * HTTP API as an operator's tooling would, with a bounded number of requests in flight.
 */
public final class Provisioning {

    private final ServerApi api;
    private final int inFlight;

    public Provisioning(ServerApi api, int inFlight) {
        this.api = api;
        this.inFlight = inFlight;
    }

    /** The service a fleet box gets: {@code svc-} and its serial. */
    public static String serviceName(SimulatedDevice device) {
        return serviceName(device.serial());
    }

    public static String serviceName(String serial) {
        return "svc-" + serial;
    }

    /** A distinct address per box in 100.64.0.0/10 (shared address space: never routed on the Internet). */
    public static String serviceIp(int index) {
        if (index < 0 || index >= (1 << 22) - 2) {
            throw new IllegalArgumentException("no service address for box number " + index);
        }
        int host = (100 << 24) | (64 << 16) | (index + 1);
        return ((host >>> 24) & 0xff) + "." + ((host >>> 16) & 0xff) + "." + ((host >>> 8) & 0xff) + "." + (host & 0xff);
    }

    /**
     * Registers every box and creates its service on {@code offer}.
     *
     * @param progress told how many boxes are done, now and then
     * @throws ServerApi.ApiException when the server refuses one (the first refusal)
     */
    public void registerAll(List<SimulatedDevice> devices, String offer, IntConsumer progress)
            throws InterruptedException {
        Semaphore permits = new Semaphore(inFlight);
        List<CompletableFuture<?>> calls = new ArrayList<>(devices.size());
        int done = 0;
        for (SimulatedDevice device : devices) {
            permits.acquire();
            CompletableFuture<?> call = api.postAsync("/1.0/admin/devices",
                            ServerApi.body("serial", device.serial(), "model", device.box().model().wireName()))
                    .thenCompose(ok -> api.postAsync("/1.0/admin/services", ServerApi.body(
                            "serviceName", serviceName(device), "account", "sim-account",
                            "offer", offer, "serviceIp", serviceIp(device.index()), "deviceId", device.serial())))
                    .whenComplete((ok, failure) -> permits.release());
            calls.add(call);
            if (++done % 500 == 0) {
                progress.accept(done);
            }
        }
        try {
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
        progress.accept(devices.size());
    }
}
