package net.otb.simulator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import net.otb.agent.tls.ClientTls;
import net.otb.protocol.BandwidthProfile;
import net.otb.protocol.pki.PkiException;
import net.otb.protocol.tls.TlsProvider;
import net.otb.server.ServerStartException;
import net.otb.simulator.fleet.Fleet;
import net.otb.simulator.fleet.FleetConfig;
import net.otb.simulator.fleet.FleetListener;
import net.otb.simulator.fleet.ServerApi;
import net.otb.simulator.fleet.SimulatedDevice;
import net.otb.simulator.hardware.BoxModel;
import net.otb.simulator.lab.EmbeddedServer;

/**
 * Plays the guide "Comment changer mon offre OverTheBox" on a real server and real agents: an embedded
 * provisioning server (H2 and a dev PKI in a scratch folder), simulated boxes connected over mutual TLS, and
 * the order system's calls over HTTP, printing each step as it happens:
 * <ol>
 *   <li>Starter → Business without a box: offers, quote, contracts, order, payment, push, applied, confirm,
 *       refund;</li>
 *   <li>{@code plus.v1} (legacy) → Starter with a new v3 box: delivery address, quote, order, payment, the box
 *       shipped, delivered and connected, the profile pushed to it with the same service IP, the old box
 *       decommissioned, refund.</li>
 * </ol>
 */
public final class Demo {

    static final String STARTER_SERVICE = "otb-demo-starter";
    static final String LEGACY_SERVICE = "otb-demo-legacy";
    static final String STARTER_IP = "203.0.113.10";
    static final String LEGACY_IP = "203.0.113.20";
    private static final Duration STEP_DEADLINE = Duration.ofSeconds(20);

    private final Narrator say;
    private final Path workDir;
    private final TlsProvider tls;
    private final Clock clock;
    private final Clock serverClock;
    private final List<SummaryRow> summary = new ArrayList<>();

    private EmbeddedServer server;
    private ServerApi api;
    private EventLoopGroup group;
    private ClientTls clientTls;
    private final List<Fleet> fleets = new ArrayList<>();

    public Demo(PrintStream out, Path workDir, TlsProvider tls, Clock clock) {
        this(out, workDir, tls, clock, clock);
    }

    /**
     * A demo whose server runs on {@code serverClock} (a dev clock set to another day: the effective dates and refunds
     * follow it) while the boxes and the certificates keep {@code clock}, the real time.
     */
    public Demo(PrintStream out, Path workDir, TlsProvider tls, Clock clock, Clock serverClock) {
        this.say = new Narrator(out);
        this.workDir = workDir;
        this.tls = tls;
        this.clock = clock;
        this.serverClock = serverClock;
    }

    /**
     * Runs both journeys and prints the summary table.
     *
     * @return the summary rows
     * @throws DemoFailure naming the step that failed
     */
    public List<SummaryRow> run() throws DemoFailure, InterruptedException {
        try {
            startServer();
            Fleet boxes = connectCustomerBoxes();
            starterToBusiness(boxes.device(FleetConfig.serial(BoxModel.V2C, 101)));
            legacyToStarterWithANewBox(boxes.device(FleetConfig.serial(BoxModel.V2B, 102)));
            printSummary();
            return List.copyOf(summary);
        } catch (ServerApi.ApiException e) {
            throw new DemoFailure("the server refused a call: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DemoFailure("cannot reach the server's HTTP API: " + e, e);
        } finally {
            shutdown();
        }
    }

    private void startServer() throws DemoFailure {
        say.title("Provisioning server");
        try {
            server = EmbeddedServer.start(workDir.resolve("server"), tls, serverClock, clock,
                    new EmbeddedServer.Timings(10, 10, 2, 1));
        } catch (ServerStartException | PkiException e) {
            throw new DemoFailure("cannot start the provisioning server: " + e.getMessage(), e);
        }
        api = new ServerApi(server.apiAccess(), Duration.ofSeconds(15));
        say.step("server up: agents on %s (mTLS, %s), HTTP API on %s", server.agentAddress(),
                server.tlsProviderName(), server.httpBase());
        say.detail("data (H2) and dev PKI in %s", workDir.resolve("server"));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        clientTls = ClientTls.of(server.anchors(), tls);
    }

    private Fleet connectCustomerBoxes() throws DemoFailure, IOException, InterruptedException {
        say.title("Customers' boxes");
        Fleet boxes = fleet(101, List.of(BoxModel.V2C, BoxModel.V2B));
        SimulatedDevice starterBox = boxes.devices().get(0);
        SimulatedDevice legacyBox = boxes.devices().get(1);
        register(starterBox);
        register(legacyBox);
        createService(STARTER_SERVICE, "starter.v1", STARTER_IP, starterBox);
        createService(LEGACY_SERVICE, "plus.v1", LEGACY_IP, legacyBox);
        boxes.start();
        await("the customers' boxes apply their current offers", boxes,
                () -> boxes.confirmedOn("starter.v1") == 1 && boxes.confirmedOn("plus.v1") == 1);
        return boxes;
    }

    private void starterToBusiness(SimulatedDevice box) throws DemoFailure, IOException, InterruptedException {
        say.title("Journey 1: Starter 500 Mbps → Business 1 Gbps, no box (service " + STARTER_SERVICE + ")");
        JsonNode before = api.get("/1.0/overTheBox/" + STARTER_SERVICE);
        showOffers(STARTER_SERVICE);
        JsonNode quote = quote(STARTER_SERVICE, "business.v1", null, null);
        JsonNode order = api.post("/1.0/overTheBox/" + STARTER_SERVICE + "/migration/changeOffers", ServerApi.body(
                "offer", "business.v1", "acceptedContracts", contractNames(quote)));
        long orderId = order.path("orderId").asLong();
        say.step("contracts accepted, purchase order #%d generated: %s, to pay at %s", orderId,
                order.path("amount").path("text").asText(), order.path("orderUrl").asText());
        long paidAt = pay(orderId);
        await("the box applies Business", box, () -> confirmed(box, "business.v1"));
        say.step("payment → applied on %s in %d ms", box.serial(), (box.appliedAtNanos() - paidAt) / 1_000_000);
        JsonNode migration = migration(STARTER_SERVICE);
        JsonNode after = api.get("/1.0/overTheBox/" + STARTER_SERVICE);
        summary.add(new SummaryRow(STARTER_SERVICE, before.path("offer").asText(), after.path("offer").asText(),
                box.serial(), before.path("serviceIp").asText(), after.path("serviceIp").asText(),
                migration.path("effectiveDate").asText("-"), refund(orderId)));
    }

    private void legacyToStarterWithANewBox(SimulatedDevice oldBox)
            throws DemoFailure, IOException, InterruptedException {
        say.title("Journey 2: legacy plus.v1 → Starter with a new OverTheBox v3 (service " + LEGACY_SERVICE + ")");
        JsonNode before = api.get("/1.0/overTheBox/" + LEGACY_SERVICE);
        showOffers(LEGACY_SERVICE);
        long contact = deliveryAddress();
        JsonNode quote = quote(LEGACY_SERVICE, "starter.v1", "otbv3", contact);
        JsonNode order = api.post("/1.0/overTheBox/" + LEGACY_SERVICE + "/migration/changeOffers", ServerApi.body(
                "offer", "starter.v1", "hardwareName", "otbv3", "shippingContactID", contact,
                "shippingMethod", "dhl", "acceptedContracts", contractNames(quote)));
        long orderId = order.path("orderId").asLong();
        say.step("contracts accepted, purchase order #%d generated: %s (offer + box, shipping included)", orderId,
                order.path("amount").path("text").asText());
        pay(orderId);
        JsonNode waiting = migration(LEGACY_SERVICE);
        say.detail("the change waits for the new box (migration %s): %s still enforces %s", waiting.path("state").asText(),
                oldBox.serial(), oldBox.box().inForce().offer());

        Fleet delivery = fleet(201, List.of(BoxModel.V3));
        SimulatedDevice newBox = delivery.devices().get(0);
        register(newBox);
        JsonNode shipped = api.post("/1.0/me/order/" + orderId + "/shipment", ServerApi.body("deviceId", newBox.serial()));
        say.step("warehouse: box %s shipped for order #%d (migration %s)", newBox.serial(), orderId,
                shipped.path("migration").path("state").asText());
        say.step("box %s delivered: the customer plugs it in, its agent connects", newBox.serial());
        delivery.start();
        await("the new box applies Starter and the old one is decommissioned", delivery,
                () -> confirmed(newBox, "starter.v1") && oldBox.decommissioned() != null);
        JsonNode migration = migration(LEGACY_SERVICE);
        JsonNode after = api.get("/1.0/overTheBox/" + LEGACY_SERVICE);
        BandwidthProfile applied = newBox.box().inForce();
        say.detail("%s shapes %d/%d Mbps for %s; %s shapes nothing any more", newBox.serial(),
                applied.downKbps() / 1000, applied.upKbps() / 1000, applied.serviceIp(), oldBox.serial());
        summary.add(new SummaryRow(LEGACY_SERVICE, before.path("offer").asText(), after.path("offer").asText(),
                oldBox.serial() + " → " + newBox.serial(), before.path("serviceIp").asText(),
                after.path("serviceIp").asText(), migration.path("effectiveDate").asText("-"), refund(orderId)));
        if (!applied.serviceIp().equals(before.path("serviceIp").asText())) {
            throw new DemoFailure("the new box carries " + applied.serviceIp() + ", not the service IP "
                    + before.path("serviceIp").asText());
        }
    }

    private void showOffers(String service) throws IOException, InterruptedException {
        JsonNode offers = api.get("/1.0/overTheBox/" + service + "/migration/offers");
        JsonNode current = offers.path("currentOffer");
        say.step("offers for %s (current: %s, %s/month%s):", service, current.path("offer").asText(),
                current.path("price").path("text").asText(), current.path("legacy").asBoolean() ? ", legacy" : "");
        for (JsonNode offer : offers.path("offers")) {
            StringBuilder boxes = new StringBuilder();
            for (JsonNode hardware : offer.path("hardwares")) {
                boxes.append(boxes.length() == 0 ? "" : ", ").append(hardware.path("hardwareDisplayName").asText())
                        .append(" ").append(hardware.path("hardwarePrice").path("text").asText());
            }
            // what the API says: the current offer is listed with hardwareRequired (orderable only with a new box)
            String box = boxes.length() == 0 ? "" : offer.path("hardwareRequired").asBoolean()
                    ? "  (only with a new box: " + boxes + ")" : "  (optional box: " + boxes + ")";
            say.detail("- %-12s %-34s %s/month%s", offer.path("offer").asText(), offer.path("description").asText(),
                    offer.path("price").path("text").asText(), box);
        }
    }

    private JsonNode quote(String service, String offer, String hardware, Long contact)
            throws IOException, InterruptedException {
        JsonNode quote = api.get("/1.0/order/overTheBox/" + service + "/migrate" + ServerApi.query("offer", offer,
                "hardware", hardware, "shippingContactID", contact == null ? null : contact.toString()));
        say.step("summary for %s: %s/month, box %s, first payment %s", offer,
                quote.path("monthlyPrice").path("text").asText(), quote.path("hardwarePrice").path("text").asText(),
                quote.path("firstPayment").path("text").asText());
        for (JsonNode contract : quote.path("contracts")) {
            say.detail("contract to accept: %s <%s>", contract.path("name").asText(), contract.path("url").asText());
        }
        return quote;
    }

    private static List<String> contractNames(JsonNode quote) {
        List<String> names = new ArrayList<>();
        quote.path("contracts").forEach(c -> names.add(c.path("name").asText()));
        return names;
    }

    private long deliveryAddress() throws IOException, InterruptedException {
        JsonNode contacts = api.get("/1.0/me/contact");
        if (contacts.isEmpty()) {
            JsonNode account = api.post("/1.0/me/contact", ServerApi.body("name", "Camille Martin",
                    "street", "2 rue Kellermann", "postcode", "59100", "city", "Roubaix", "country", "FR",
                    "phone", "+33 3 20 00 00 00", "default", true));
            say.step("the account's default address: #%d %s, %s %s", account.path("id").asLong(),
                    account.path("street").asText(), account.path("postcode").asText(), account.path("city").asText());
        } else {
            say.step("the account has %d address(es) on file", contacts.size());
        }
        JsonNode created = api.post("/1.0/me/contact", ServerApi.body("name", "Camille Martin",
                "street", "10 place de la Gare", "postcode", "59000", "city", "Lille", "country", "FR",
                "phone", "+33 3 20 11 22 33"));
        say.step("new delivery address (+): #%d %s, %s %s — selected", created.path("id").asLong(),
                created.path("street").asText(), created.path("postcode").asText(), created.path("city").asText());
        return created.path("id").asLong();
    }

    private long pay(long orderId) throws IOException, InterruptedException {
        long paidAt = System.nanoTime();
        JsonNode paid = api.post("/1.0/me/order/" + orderId + "/pay", ServerApi.body("paymentId", "pay-" + orderId));
        say.step("billing: order #%d %s; migration %s", orderId, paid.path("status").asText(),
                paid.path("migration").path("state").asText());
        return paidAt;
    }

    private JsonNode migration(String service) throws IOException, InterruptedException {
        JsonNode migration = api.get("/1.0/overTheBox/" + service + "/migration");
        say.step("migration of %s: %s, effective %s", service, migration.path("state").asText(),
                migration.path("effectiveDate").asText("(not yet)"));
        return migration;
    }

    private String refund(long orderId) throws IOException, InterruptedException {
        JsonNode refunds = api.get("/1.0/me/refund" + ServerApi.query("orderId", Long.toString(orderId)));
        if (refunds.isEmpty()) {
            say.step("no refund for order #%d", orderId);
            return "-";
        }
        JsonNode refund = refunds.get(0);
        say.step("prorata refund: %s for %d of %d days of %s at %s/month = %s", refund.path("amount").path("text").asText(),
                refund.path("refundedDays").asInt(), refund.path("daysInMonth").asInt(), refund.path("oldOffer").asText(),
                refund.path("oldMonthlyPrice").path("text").asText(), refund.path("formula").asText());
        return refund.path("amount").path("text").asText();
    }

    private void register(SimulatedDevice device) throws IOException, InterruptedException {
        api.post("/1.0/admin/devices", ServerApi.body("serial", device.serial(), "model",
                device.box().model().wireName()));
        say.step("box %s (%s, nominal %d Mbps) registered", device.serial(), device.box().model().wireName(),
                device.box().model().nominalKbps() / 1000);
    }

    private void createService(String name, String offer, String ip, SimulatedDevice box)
            throws IOException, InterruptedException {
        api.post("/1.0/admin/services", ServerApi.body("serviceName", name, "account", "demo-account", "offer", offer,
                "serviceIp", ip, "deviceId", box.serial()));
        say.step("service %s created: %s, service IP %s, box %s", name, offer, ip, box.serial());
    }

    private Fleet fleet(int firstIndex, List<BoxModel> models) throws DemoFailure {
        FleetConfig config = FleetConfig.of(models.size(), tls).withFirstIndex(firstIndex).withModels(models);
        try {
            Fleet fleet = Fleet.build(config, server.issuer(), clientTls, List.of(server.agentAddress()), group, clock,
                    firstIndex, new Printer());
            fleets.add(fleet);
            return fleet;
        } catch (PkiException e) {
            throw new DemoFailure("cannot issue the boxes' certificates: " + e.getMessage(), e);
        }
    }

    private static boolean confirmed(SimulatedDevice device, String offer) {
        BandwidthProfile confirmed = device.confirmedProfile();
        return confirmed != null && confirmed.offer().equals(offer);
    }

    private void await(String what, Fleet fleet, BooleanSupplier condition) throws DemoFailure, InterruptedException {
        CompletableFuture<Void> reached = fleet.awaitUntil(condition, STEP_DEADLINE);
        try {
            reached.get(STEP_DEADLINE.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new DemoFailure("waited " + STEP_DEADLINE.toSeconds() + " s for " + what + "; it did not happen");
        }
    }

    private void await(String what, SimulatedDevice device, BooleanSupplier condition)
            throws DemoFailure, InterruptedException {
        for (Fleet fleet : fleets) {
            if (fleet.devices().contains(device)) {
                await(what, fleet, condition);
                return;
            }
        }
        throw new DemoFailure("no fleet holds " + device);
    }

    private void printSummary() {
        say.title("Summary");
        String format = "%-17s | %-24s | %-27s | %-15s | %-15s | %-10s | %s";
        say.raw(String.format(format, "service", "offer (old → new)", "box", "IP before", "IP after", "effective",
                "refund"));
        say.raw("-".repeat(130));
        for (SummaryRow row : summary) {
            say.raw(String.format(format, row.serviceName(), row.oldOffer() + " → " + row.newOffer(), row.box(),
                    row.ipBefore(), row.ipAfter(), row.effectiveDate(), row.refund()));
        }
        say.raw("");
        say.raw(String.format("Done in %.1f s: both journeys completed, service IPs kept.", say.elapsedSeconds()));
    }

    private void shutdown() {
        for (Fleet fleet : fleets) {
            fleet.close();
        }
        if (server != null) {
            server.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /** Prints what the boxes report as it happens. */
    private final class Printer implements FleetListener {

        @Override
        public void connected(SimulatedDevice device) {
            say.step("%s connected over mTLS (certificate CN=%s)", device.serial(), device.serial());
        }

        @Override
        public void applied(SimulatedDevice device, BandwidthProfile profile) {
            say.step("%s: profile generation %d pushed and applied: %s, %d/%d Mbps, service IP %s%s", device.serial(),
                    profile.generation(), profile.offer(), profile.downKbps() / 1000, profile.upKbps() / 1000,
                    profile.serviceIp(), device.box().deviceLimited()
                            ? " (above this " + device.box().model().wireName() + "'s " + device.box().model().nominalKbps()
                            / 1000 + " Mbps: device-limited)" : "");
        }

        @Override
        public void confirmed(SimulatedDevice device, long generation) {
            say.step("%s: server confirmed generation %d (commit-confirmed: no rollback)", device.serial(), generation);
        }

        @Override
        public void rejected(SimulatedDevice device, long generation, String detail) {
            say.step("%s: generation %d rejected: %s", device.serial(), generation, detail);
        }

        @Override
        public void rolledBack(SimulatedDevice device, long generation) {
            say.step("%s: generation %d rolled back (no confirm in time)", device.serial(), generation);
        }

        @Override
        public void decommissioned(SimulatedDevice device, String reason) {
            say.step("%s: decommissioned (%s): shaping cleared, agent stopped", device.serial(), reason);
        }
    }
}
