package net.otb.simulator.campaign;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import net.otb.agent.ServerAddress;
import net.otb.agent.state.AgentState;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.store.StoreConfig;
import net.otb.simulator.bench.ChildServer;
import net.otb.simulator.fleet.Fleet;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.FleetListener;
import net.otb.simulator.fleet.LinkCutter;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.fleet.SimulatedDevice;
import net.otb.simulator.hardware.AppliedHistory;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.hardware.Faults;
import net.otb.simulator.lab.Folders;
import net.otb.simulator.lab.Provisioning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run: a server in a child JVM on a fresh store, boxes behind a link cutter each (real agents in this JVM,
 * a few in JVMs of their own), then {@code steps} actions drawn from the seeded generator (order-system calls
 * through the HTTP API, operator changes, faults at those instants), then an end phase that heals every fault,
 * gets every request answered, ships what was paid for and waits for the fleet to converge, and finally the
 * {@link Checker}.
 *
 * <p>The schedule (which action, on what, how long a fault lasts) depends on the seed only; the instants at which
 * the real processes react do not, so a replay runs the same schedule over the same kinds of races.
 */
final class CampaignRun {

    private static final Logger LOG = LoggerFactory.getLogger(CampaignRun.class);
    private static final List<String> OFFERS = List.of("starter.v1", "business.v1");
    private static final String HARDWARE = "otbv3";
    private static final Duration SETTLE = Duration.ofSeconds(120);

    /** What a run found. */
    record Result(RunConfig config, List<Violation> violations, Map<FaultKind, Integer> faults, int migrations,
                  int calls, Duration took, Path folder, Ledger ledger, String jdbcUrl, String jdbcUser,
                  String jdbcPassword) {
        boolean passed() {
            return violations.isEmpty();
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private record Recovery(int atStep, Step action) {
    }

    /** A request that must get an answer: re-sent with the same idempotency key until it does. */
    private record Call(String path, Map<String, Object> body, String key, java.util.function.Consumer<JsonNode> ok,
                        java.util.function.Consumer<ServerApi.ApiException> refused) {
    }

    private final RunConfig config;
    private final Path folder;
    private final PrivatePostgres postgres;
    private final RandomGenerator random;
    private final Ledger ledger = new Ledger();
    private final Map<FaultKind, Integer> faults = new EnumMap<>(FaultKind.class);
    private final List<Recovery> recoveries = new ArrayList<>();
    private final List<Call> pending = new ArrayList<>();
    private final Map<String, LinkCutter> cutters = new LinkedHashMap<>();
    private final Map<String, SimulatedDevice> devices = new LinkedHashMap<>();
    private final Map<String, ChildAgent> children = new LinkedHashMap<>();
    private final List<String> spares = new ArrayList<>();
    private final List<String> liveInProcess = new ArrayList<>();
    private ChildServer server;
    private boolean serverUp;
    private boolean postgresUp = true;
    private ServerApi api;
    private EventLoopGroup group;
    private Fleet fleet;
    private long contactId;
    private int step;
    private int keys;
    private int calls;
    private String jdbcUrl;
    private String jdbcUser;
    private String jdbcPassword;
    private String database;
    private java.io.PrintWriter schedule;

    CampaignRun(RunConfig config, Path parent, PrivatePostgres postgres) throws IOException {
        if (config.store() == RunConfig.Store.POSTGRES && postgres == null) {
            throw new IllegalArgumentException("a PostgreSQL run needs the campaign's PostgreSQL");
        }
        this.config = config;
        this.folder = Files.createDirectories(parent.resolve("run-" + Long.toUnsignedString(config.seed(), 16)));
        this.postgres = postgres;
        this.random = new SplittableRandom(config.seed());
    }

    /**
     * Runs it; the folder is deleted when the run passes unless {@code keep}.
     *
     * @throws Exception when the lab itself cannot be set up (not a violation: nothing was checked)
     */
    Result run(boolean keep) throws Exception {
        long began = System.nanoTime();
        List<Violation> violations;
        int migrations;
        try {
            setUp();
            for (step = 0; step < config.steps(); step++) {
                recover(false);
                retryPending(2);
                act();
                sampleStateFiles();
                pause(20 + random.nextInt(250));
            }
            endPhase();
        } finally {
            tearDown();
        }
        Checker.Outcome outcome = new Checker(ledger, jdbcUrl, jdbcUser, jdbcPassword).check();
        violations = new ArrayList<>(outcome.violations());
        for (String call : ledger.unanswered) {
            violations.add(new Violation("answered-once", "never answered, even after the end phase: " + call));
        }
        migrations = outcome.migrationsChecked();
        Result result = new Result(config, List.copyOf(violations), Map.copyOf(faults), migrations, calls,
                Duration.ofNanos(System.nanoTime() - began), folder, ledger, jdbcUrl, jdbcUser, jdbcPassword);
        if (result.passed() && !keep) {
            if (database != null) {
                postgres.dropDatabase(database);
            }
            Folders.deleteQuietly(folder);
        }
        return result;
    }

    // ---------------------------------------------------------------- set-up

    /** One line of the run's {@code schedule.log}: what was done when, and what came back (for a post-mortem). */
    private void note(String format, Object... args) {
        if (schedule != null) {
            schedule.printf("%s step %d: %s%n", java.time.Instant.now(), step, String.format(format, args));
        }
    }

    private void setUp() throws Exception {
        schedule = new java.io.PrintWriter(Files.newBufferedWriter(folder.resolve("schedule.log")), true);
        Path data = Files.createDirectories(folder.resolve("server"));
        List<String> options = new ArrayList<>(List.of("--timings=5,3,2,1"));
        if (config.store() == RunConfig.Store.POSTGRES) {
            database = "campaign_" + Long.toUnsignedString(config.seed(), 16);
            jdbcUrl = postgres.createDatabase(database);
            jdbcUser = "postgres";
            jdbcPassword = "";
            options.add("--jdbc-url=" + jdbcUrl);
            options.add("--jdbc-user=" + jdbcUser);
        } else {
            StoreConfig h2 = StoreConfig.h2(data);
            jdbcUrl = h2.jdbcUrl();
            jdbcUser = h2.user();
            jdbcPassword = h2.password();
        }
        server = new ChildServer(data, "openssl", List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-Dorg.slf4j.simpleLogger.log.net.otb.server.migration=info"),
                options, folder.resolve("server.log"));
        server.start();
        serverUp = true;
        api = new ServerApi(server.apiAccess(), Duration.ofSeconds(15));
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

        int inProcessActive = config.boxes() - config.childAgents();
        int spareCount = config.spares();
        List<BoxModel> models = new ArrayList<>();
        BoxModel[] all = BoxModel.values();
        for (int i = 0; i < inProcessActive; i++) {
            models.add(all[random.nextInt(all.length)]);
        }
        for (int i = 0; i < spareCount; i++) {
            models.add(BoxModel.V3);
        }
        InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.agentAddress().port());
        FleetConfig base = FleetConfig.of(models.size(), TlsProvider.OPENSSL);
        FleetConfig fleetConfig = base.withModels(models).withStateRoot(folder.resolve("boxes"))
                .withSettings(base.settings().withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2)));
        List<LinkCutter> fleetCutters = new ArrayList<>();
        for (int offset = 0; offset < models.size(); offset++) {
            LinkCutter cutter = LinkCutter.start(group, new InetSocketAddress("127.0.0.1", 0), target);
            fleetCutters.add(cutter);
            cutters.put(fleetConfig.serialAt(offset), cutter);
        }
        fleet = Fleet.build(fleetConfig, server.issuer(), ClientTls.of(server.anchors(), TlsProvider.OPENSSL),
                offset -> List.of(new ServerAddress("127.0.0.1", fleetCutters.get(offset).address().getPort())),
                group, Clock.systemUTC(), random.nextLong(), FleetListener.NONE);
        for (int offset = 0; offset < models.size(); offset++) {
            SimulatedDevice device = fleet.devices().get(offset);
            Path state = fleetConfig.stateRoot().resolve(device.serial());
            Path history = state.resolve("applied.log");
            device.box().recordAppliesTo(new AppliedHistory(history, state, Clock.systemUTC()));
            devices.put(device.serial(), device);
            boolean spare = offset >= inProcessActive;
            ledger.boxes.put(device.serial(), new Ledger.Box(device.serial(), device.box().model().wireName(),
                    spare ? null : Provisioning.serviceName(device.serial()), state, history, false));
            if (spare) {
                spares.add(device.serial());
            } else {
                liveInProcess.add(device.serial());
                ledger.services.put(Provisioning.serviceName(device.serial()), new Ledger.Service(
                        Provisioning.serviceName(device.serial()), Provisioning.serviceIp(device.index()),
                        device.serial()));
            }
        }
        for (int i = 0; i < config.childAgents(); i++) {
            int index = fleetConfig.firstIndex() + models.size() + i;
            BoxModel model = all[random.nextInt(all.length)];
            String serial = FleetConfig.serial(model, index);
            LinkCutter cutter = LinkCutter.start(group, new InetSocketAddress("127.0.0.1", 0), target);
            cutters.put(serial, cutter);
            ChildAgent child = new ChildAgent(serial, model, server.issuer().issue(serial, new SecureRandom()),
                    server.anchors().get(0), cutter.address().getPort(), folder.resolve("agents").resolve(serial));
            children.put(serial, child);
            String service = Provisioning.serviceName(serial);
            ledger.boxes.put(serial, new Ledger.Box(serial, model.wireName(), service, child.stateDirectory(),
                    child.historyFile(), true));
            ledger.services.put(service, new Ledger.Service(service, Provisioning.serviceIp(index), serial));
        }

        // the operator registers every box and gives each active one a service, as the admin tooling would
        for (Ledger.Box box : ledger.boxes.values()) {
            api.post("/1.0/admin/devices", ServerApi.body("serial", box.serial(), "model", box.model()));
        }
        List<String> initialOffers = List.of("starter.v1", "business.v1", "plus.v1");
        String firstOffer = null;
        for (Ledger.Service service : ledger.services.values()) {
            String offer = initialOffers.get(random.nextInt(initialOffers.size()));
            firstOffer = firstOffer == null ? offer : firstOffer;
            api.post("/1.0/admin/services", ServerApi.body("serviceName", service.name(), "account", "campaign",
                    "offer", offer, "serviceIp", service.serviceIp(), "deviceId", service.firstBox()));
        }
        contactId = api.post("/1.0/me/contact", ServerApi.body("name", "Camille Martin", "street", "2 rue Kellermann",
                "postcode", "59100", "city", "Roubaix", "country", "FR", "phone", "+33 3 20 00 00 00", "default", true))
                .path("id").asLong();
        for (String serial : liveInProcess) {
            devices.get(serial).start();
        }
        for (ChildAgent child : children.values()) {
            child.start();
        }
        awaitConverged(Duration.ofSeconds(90), false);
        // every run checks at least one migration and one refund: a change without a box, paid at once
        String first = ledger.services.keySet().iterator().next();
        orderWithoutBox(first, firstOffer.equals("starter.v1") ? "business.v1" : "starter.v1", true);
    }

    // ---------------------------------------------------------------- the schedule

    private void act() throws Exception {
        int roll = random.nextInt(100);
        if (roll < 16) {
            orderWithoutBox(randomService(), random.nextInt(10) < 6);
        } else if (roll < 26) {
            orderWithBox();
        } else if (roll < 40) {
            payOne();
        } else if (roll < 44) {
            cancelOne();
        } else if (roll < 50) {
            shipOne();
        } else if (roll < 58) {
            bulkChange();
        } else if (roll < 60) {
            revokeSpare();
        } else if (roll < 65) {
            killServer();
        } else if (roll < 69) {
            killChildAgent();
        } else if (roll < 72) {
            crashBox();
        } else if (roll < 77) {
            cutLink();
        } else if (roll < 80) {
            dropLink();
        } else if (roll < 84) {
            failApplies();
        } else if (roll < 87) {
            slowApplies();
        } else if (roll < 92) {
            loseConfirm();
        } else if (roll < 96) {
            restartPostgres();
        } else {
            // a quiet step: the fleet and the server catch up
            pause(200 + random.nextInt(600));
        }
    }

    private String randomService() {
        List<String> names = new ArrayList<>(ledger.services.keySet());
        return names.get(random.nextInt(names.size()));
    }

    private String nextKey(String what) {
        return "campaign-" + Long.toUnsignedString(config.seed(), 16) + "-" + (++keys) + "-" + what;
    }

    private void orderWithoutBox(String service, boolean payNow) throws InterruptedException {
        orderWithoutBox(service, OFFERS.get(random.nextInt(OFFERS.size())), payNow);
    }

    private void orderWithoutBox(String service, String offer, boolean payNow) throws InterruptedException {
        Ledger.Order order = new Ledger.Order(nextKey("order"), service, offer, null);
        ledger.orders.put(order.key, order);
        submit(new Call("/1.0/overTheBox/" + service + "/migration/changeOffers", ServerApi.body("offer", offer,
                "acceptedContracts", contracts(offer)), order.key, answer -> {
                    order.orderId = answer.path("orderId").asLong();
                }, refusal -> order.refusal = refusal.getMessage()));
        if (payNow && order.orderId != null) {
            pay(order);
        }
    }

    private void orderWithBox() throws InterruptedException {
        String spare = freeSpare();
        if (spare == null) {
            orderWithoutBox(randomService(), true);
            return;
        }
        String service = randomService();
        String offer = OFFERS.get(random.nextInt(OFFERS.size()));
        Ledger.Order order = new Ledger.Order(nextKey("order-box"), service, offer, HARDWARE);
        order.reservedBox = spare;
        ledger.orders.put(order.key, order);
        submit(new Call("/1.0/overTheBox/" + service + "/migration/changeOffers", ServerApi.body("offer", offer,
                "hardwareName", HARDWARE, "shippingContactID", contactId, "shippingMethod", "dhl",
                "acceptedContracts", contracts(offer)), order.key,
                answer -> order.orderId = answer.path("orderId").asLong(),
                refusal -> {
                    order.refusal = refusal.getMessage();
                    order.reservedBox = null;
                }));
    }

    /** A spare box neither reserved for an order nor revoked. */
    private String freeSpare() {
        for (String spare : spares) {
            boolean taken = ledger.revoked.contains(spare) || ledger.orders.values().stream()
                    .anyMatch(o -> spare.equals(o.reservedBox));
            if (!taken) {
                return spare;
            }
        }
        return null;
    }

    private static List<String> contracts(String offer) {
        return List.of("otb-general-conditions", "otb-" + offer.substring(0, offer.indexOf('.')) + "-special-conditions");
    }

    private void payOne() throws InterruptedException {
        List<Ledger.Order> unpaid = ledger.orders.values().stream()
                .filter(o -> o.orderId != null && !o.payAnswered && !o.cancelAnswered).toList();
        if (!unpaid.isEmpty()) {
            pay(unpaid.get(random.nextInt(unpaid.size())));
        }
    }

    private void pay(Ledger.Order order) throws InterruptedException {
        submit(new Call("/1.0/me/order/" + order.orderId + "/pay", ServerApi.body("paymentId", "pay-" + order.orderId),
                nextKey("pay"), answer -> {
                    if ("paid".equals(answer.path("status").asText())) {
                        order.payAnswered = true;
                    }
                }, refusal -> {
                }));
    }

    private void cancelOne() throws InterruptedException {
        List<Ledger.Order> unpaid = ledger.orders.values().stream()
                .filter(o -> o.orderId != null && !o.payAnswered && !o.cancelAnswered).toList();
        if (unpaid.isEmpty()) {
            return;
        }
        Ledger.Order order = unpaid.get(random.nextInt(unpaid.size()));
        submit(new Call("/1.0/me/order/" + order.orderId + "/cancel", null, nextKey("cancel"), answer -> {
            order.cancelAnswered = true;
            order.reservedBox = null;
        }, refusal -> {
        }));
    }

    private void shipOne() throws Exception {
        List<Ledger.Order> toShip = ledger.orders.values().stream()
                .filter(o -> o.payAnswered && o.hardware != null && o.shippedBox == null && o.reservedBox != null)
                .toList();
        if (!toShip.isEmpty()) {
            ship(toShip.get(random.nextInt(toShip.size())));
        }
    }

    private void ship(Ledger.Order order) throws InterruptedException {
        String box = order.reservedBox;
        submit(new Call("/1.0/me/order/" + order.orderId + "/shipment", ServerApi.body("deviceId", box),
                nextKey("ship"), answer -> {
                    order.shippedBox = box;
                    // delivered: the customer plugs it in (also when the answer came on a retry)
                    devices.get(box).start();
                    liveInProcess.add(box);
                }, refusal -> {
                }));
    }

    private void bulkChange() throws InterruptedException {
        List<String> names = new ArrayList<>(ledger.services.keySet());
        int count = 1 + random.nextInt(names.size());
        List<String> chosen = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            chosen.add(names.remove(random.nextInt(names.size())));
        }
        String offer = OFFERS.get(random.nextInt(OFFERS.size()));
        submit(new Call("/1.0/admin/desiredOffers", ServerApi.body("offer", offer, "serviceNames", chosen),
                nextKey("bulk"), answer -> answer.path("profiles").forEach(p -> ledger.profiles.add(new Ledger.Profile(
                        p.path("serviceName").asText(), p.path("generation").asLong(), p.path("offer").asText()))),
                refusal -> {
                }));
    }

    private void revokeSpare() throws Exception {
        if (!ledger.revoked.isEmpty()) {
            return;
        }
        String spare = freeSpare();
        long free = spares.stream().filter(s -> !ledger.revoked.contains(s) && ledger.orders.values().stream()
                .noneMatch(o -> s.equals(o.reservedBox))).count();
        if (spare == null || free < 2) {
            return;
        }
        // a box in the field, never bound, whose certificate the operator revokes
        devices.get(spare).start();
        liveInProcess.add(spare);
        ledger.revoked.add(spare);
        submit(new Call("/1.0/admin/devices/" + spare + "/revoke", ServerApi.body("reason", "campaign: revoked"),
                nextKey("revoke"), answer -> {
                }, refusal -> {
                }));
    }

    private void count(FaultKind kind) {
        note("fault %s", kind.label());
        faults.merge(kind, 1, Integer::sum);
    }

    private void later(int minSteps, int maxSteps, Step action) {
        recoveries.add(new Recovery(step + minSteps + random.nextInt(maxSteps - minSteps + 1), action));
    }

    private void killServer() throws Exception {
        if (!serverUp) {
            return;
        }
        count(FaultKind.SERVER_KILL);
        server.stop(true);
        serverUp = false;
        later(0, 3, this::startServer);
    }

    private void startServer() throws Exception {
        if (!serverUp) {
            // a server that cannot open its store exits: its PostgreSQL comes back first
            startPostgres();
            server.start();
            serverUp = true;
            note("server restarted");
        }
    }

    private void killChildAgent() throws Exception {
        List<ChildAgent> running = children.values().stream().filter(ChildAgent::running).toList();
        if (running.isEmpty()) {
            return;
        }
        ChildAgent child = running.get(random.nextInt(running.size()));
        count(FaultKind.AGENT_KILL);
        note("  on %s", child.serial());
        child.kill();
        later(0, 3, () -> restartChild(child));
    }

    private void restartChild(ChildAgent child) throws IOException {
        if (!child.running() && !decommissioned(child.stateDirectory())) {
            child.start();
            note("agent %s restarted", child.serial());
        }
    }

    private SimulatedDevice randomLiveDevice() {
        if (liveInProcess.isEmpty()) {
            return null;
        }
        return devices.get(liveInProcess.get(random.nextInt(liveInProcess.size())));
    }

    private void crashBox() {
        SimulatedDevice device = randomLiveDevice();
        if (device == null) {
            return;
        }
        count(FaultKind.BOX_CRASH);
        note("  on %s", device.serial());
        device.box().faults().crashOnNextApply();
        later(2, 5, () -> powerOn(device));
    }

    private void powerOn(SimulatedDevice device) {
        if (!device.box().isPowered()) {
            device.box().faults().clear();
            device.start();
        }
    }

    private String randomBoxWithLink() {
        List<String> live = new ArrayList<>(liveInProcess);
        children.keySet().forEach(live::add);
        return live.isEmpty() ? null : live.get(random.nextInt(live.size()));
    }

    private void cutLink() {
        String serial = randomBoxWithLink();
        if (serial == null) {
            return;
        }
        LinkCutter cutter = cutters.get(serial);
        count(FaultKind.LINK_CUT);
        note("  on %s", serial);
        cutter.cut();
        later(1, 4, cutter::restore);
    }

    private void dropLink() {
        String serial = randomBoxWithLink();
        if (serial != null) {
            count(FaultKind.LINK_DROP);
            cutters.get(serial).drop();
        }
    }

    private void failApplies() {
        SimulatedDevice device = randomLiveDevice();
        if (device != null) {
            count(FaultKind.APPLY_FAILURE);
            note("  on %s", device.serial());
            device.box().faults().rejectNextApplies(1 + random.nextInt(2), "campaign: the shaper refused the rates");
        }
    }

    private void slowApplies() {
        SimulatedDevice device = randomLiveDevice();
        if (device != null) {
            count(FaultKind.SLOW_APPLY);
            note("  on %s", device.serial());
            Faults f = device.box().faults();
            f.slowApplies(Duration.ofMillis(500 + random.nextInt(3_500)));
            later(2, 5, () -> f.slowApplies(Duration.ZERO));
        }
    }

    private void loseConfirm() {
        SimulatedDevice device = randomLiveDevice();
        if (device != null) {
            count(FaultKind.LOST_CONFIRM);
            note("  on %s", device.serial());
            LinkCutter cutter = cutters.get(device.serial());
            device.box().faults().afterNextApply(cutter::cut);
            later(3, 6, cutter::restore);
        }
    }

    private void restartPostgres() throws Exception {
        if (postgres == null || config.store() != RunConfig.Store.POSTGRES || !postgresUp) {
            return;
        }
        count(FaultKind.POSTGRES_RESTART);
        postgres.crash();
        postgresUp = false;
        later(0, 2, this::startPostgres);
    }

    private void startPostgres() throws Exception {
        if (!postgresUp) {
            postgres.start();
            postgresUp = true;
            note("postgres restarted");
        }
    }

    /** Runs the recoveries due now, or all of them. */
    private void recover(boolean all) throws Exception {
        Iterator<Recovery> it = recoveries.iterator();
        List<Recovery> due = new ArrayList<>();
        while (it.hasNext()) {
            Recovery r = it.next();
            if (all || r.atStep() <= step) {
                due.add(r);
                it.remove();
            }
        }
        for (Recovery r : due) {
            r.action().run();
        }
    }

    // ---------------------------------------------------------------- calls

    /** Sends a call once; kept to be re-sent with the same key when it got no answer. */
    private void submit(Call call) throws InterruptedException {
        if (!send(call)) {
            pending.add(call);
        }
    }

    private boolean send(Call call) throws InterruptedException {
        calls++;
        try {
            JsonNode answer = api.post(call.path(), call.body(), call.key());
            note("POST %s key %s → %s", call.path(), call.key(), abbreviate(answer));
            ledger.answeredKeys.put(call.key(), call.path());
            call.ok().accept(answer);
            return true;
        } catch (ServerApi.ApiException e) {
            note("POST %s key %s → %s", call.path(), call.key(), e.getMessage());
            if (e.status() >= 500) {
                return false;
            }
            call.refused().accept(e);
            return true;
        } catch (IOException e) {
            note("POST %s key %s unanswered (%s): retried later", call.path(), call.key(), e);
            return false;
        }
    }

    private static String abbreviate(JsonNode answer) {
        String text = answer.toString();
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private void retryPending(int max) throws InterruptedException {
        if (!serverUp || !postgresUp) {
            return;
        }
        for (int i = 0; i < max && !pending.isEmpty(); i++) {
            Call call = pending.get(0);
            if (!send(call)) {
                return;
            }
            pending.remove(0);
        }
    }

    // ---------------------------------------------------------------- the end

    private void endPhase() throws Exception {
        recover(true);
        startPostgres();
        startServer();
        cutters.values().forEach(LinkCutter::restore);
        for (String serial : liveInProcess) {
            SimulatedDevice device = devices.get(serial);
            device.box().faults().clear();
            boolean stopped = device.agent() == null || device.agent().terminated().toCompletableFuture().isDone();
            if (stopped && !decommissioned(ledger.boxes.get(serial).stateDirectory())) {
                device.start();
            }
        }
        for (ChildAgent child : children.values()) {
            restartChild(child);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            retryPending(pending.size());
            if (!pending.isEmpty()) {
                pause(250);
            }
        }
        for (Call call : pending) {
            ledger.unanswered.add(call.path() + " (key " + call.key() + ")");
        }
        pending.clear();
        // every paid box is shipped and delivered
        for (Ledger.Order order : new ArrayList<>(ledger.orders.values())) {
            if (order.payAnswered && order.hardware != null && order.shippedBox == null && order.reservedBox != null) {
                ship(order);
            }
        }
        awaitConverged(SETTLE, true);
    }

    /**
     * Waits until every service's bound box enforces and confirmed its desired generation. A generation that the
     * box refused or rolled back too often stops its task ({@code error}, for an operator): the operator sets
     * the offer again once, which makes a new generation, as docs/operations.md says.
     */
    private void awaitConverged(Duration limit, boolean nudge) throws Exception {
        long began = System.nanoTime();
        long deadline = began + limit.toNanos();
        Map<String, Long> nudged = new LinkedHashMap<>();
        while (true) {
            List<String> behind = new ArrayList<>();
            for (Ledger.Service service : ledger.services.values()) {
                if (!converged(service, nudge ? nudged : null, System.nanoTime() - began > 8_000_000_000L)) {
                    behind.add(service.name());
                }
            }
            for (String replaced : ledger.replacedBoxes()) {
                if (!decommissioned(ledger.boxes.get(replaced).stateDirectory())) {
                    behind.add(replaced + " (to decommission)");
                }
            }
            if (behind.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                LOG.warn("run {}: not converged after {} s: {}", config.seed(), limit.toSeconds(), behind);
                return;
            }
            pause(250);
        }
    }

    private boolean converged(Ledger.Service service, Map<String, Long> nudged, boolean late) throws Exception {
        JsonNode view;
        try {
            view = api.get("/1.0/overTheBox/" + service.name());
        } catch (IOException | ServerApi.ApiException e) {
            return false;
        }
        long desired = view.path("desiredGeneration").asLong();
        String bound = view.path("device").path("deviceId").asText(null);
        if (bound == null || !bound.equals(ledger.boundBox(service.name()))) {
            return false;
        }
        Ledger.Box box = ledger.boxes.get(bound);
        AgentState state;
        try {
            state = AppliedHistory.readState(box.stateDirectory().resolve("state.json"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
        boolean done = view.path("inSync").asBoolean() && state.applied() != null
                && state.applied().generation() == desired && state.pending() == null;
        if (!done && late && nudged != null && !nudged.containsKey(service.name() + "#" + desired)) {
            boolean stalled = false;
            JsonNode tasks = api.get("/1.0/overTheBox/" + service.name() + "/tasks");
            for (JsonNode task : tasks.isArray() ? tasks : tasks.path("tasks")) {
                if (task.path("generation").asLong() == desired && "error".equals(task.path("state").asText())) {
                    stalled = true;
                }
            }
            if (stalled) {
                nudged.put(service.name() + "#" + desired, desired);
                submit(new Call("/1.0/admin/services/" + service.name() + "/desiredOffer",
                        ServerApi.body("offer", view.path("offer").asText()), nextKey("operator"),
                        answer -> ledger.profiles.add(new Ledger.Profile(answer.path("serviceName").asText(),
                                answer.path("generation").asLong(), answer.path("offer").asText())), refusal -> {
                        }));
            }
        }
        return done;
    }

    private static boolean decommissioned(Path stateDirectory) {
        try {
            return AppliedHistory.readState(stateDirectory.resolve("state.json")).decommissioned() != null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Every box's state file must read as a whole profile at any instant (write, fsync, rename). */
    private void sampleStateFiles() {
        for (Ledger.Box box : ledger.boxes.values()) {
            if (!Files.exists(box.stateDirectory().resolve("state.json"))) {
                continue;
            }
            try {
                AppliedHistory.readState(box.stateDirectory().resolve("state.json"));
            } catch (IOException | RuntimeException e) {
                ledger.stateFileProblems.add(box.serial() + " at step " + step + ": " + e.getMessage());
            }
        }
    }

    private void tearDown() {
        note("tear-down");
        if (schedule != null) {
            schedule.close();
        }
        for (ChildAgent child : children.values()) {
            try {
                child.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (fleet != null) {
            fleet.close();
        }
        cutters.values().forEach(LinkCutter::close);
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (server != null) {
            try {
                if (!postgresUp && postgres != null) {
                    postgres.start();
                    postgresUp = true;
                }
                server.stop(false);
            } catch (Exception e) {
                LOG.warn("run {}: the server did not stop cleanly: {}", config.seed(), e.toString());
            }
        }
    }

    private static void pause(long millis) throws InterruptedException {
        // pacing of the schedule (time for the real processes to race), not a wait for an event
        Thread.sleep(millis);
    }
}
