package net.otb.server.desired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import net.otb.server.catalog.Catalog;
import net.otb.server.device.Devices;
import net.otb.server.device.ServiceStatus;
import net.otb.server.device.Services;
import net.otb.server.store.Database;
import net.otb.server.store.Tx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DesiredStateEngine#setDesiredOffers} against {@link DesiredStateEngine#setDesiredOffer} on a real
 * database: the same rows in every table, the service IPs untouched, unknown services refused with nothing
 * written, boxes told only after the commit. A subclass gives the database (H2 here, PostgreSQL in
 * {@code store.postgres}).
 */
public abstract class BulkOfferChangeContract {

    /** Fixed, so that both paths write the same timestamps and whole tables can be compared. */
    protected static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-01T10:00:00.250Z"), ZoneOffset.UTC);

    private static final String TARGET = "business.v1";
    private static final int SERVICES = 40;

    private final List<Database> opened = new ArrayList<>();

    /** A new, empty, migrated store on {@link #CLOCK}; closed by the contract after each test. */
    protected abstract Database newDatabase() throws Exception;

    /** Called after the contract closed the test's stores. */
    protected void afterStoresClosed() throws Exception {
    }

    @AfterEach
    void closeStores() throws Exception {
        opened.forEach(Database::close);
        opened.clear();
        afterStoresClosed();
    }

    /** A store and an engine on it that records the boxes it tells. */
    private final class Store {
        final Database database;
        final Services services = new Services();
        final Devices devices = new Devices();
        final PushTasks tasks = new PushTasks();
        final DesiredStateEngine engine;
        final List<String> told = new CopyOnWriteArrayList<>();

        Store() throws Exception {
            database = newDatabase();
            opened.add(database);
            Catalog catalog = Catalog.defaults();
            engine = new DesiredStateEngine(() -> catalog, services, devices, tasks, new AuditLog());
            engine.notifier(new DeviceNotifier() {
                @Override
                public void deviceChanged(String deviceId) {
                    told.add(deviceId);
                }

                @Override
                public void deviceRevoked(String deviceId) {
                }
            });
        }

        /**
         * Services in every situation the change meets: with and without a box, already on the target offer,
         * suspended and terminated, an open task {@code todo} or {@code doing}, a task done, a second generation,
         * a box replaced (its old box decommissioning).
         */
        void seed() {
            database.inTransaction(tx -> {
                for (int i = 0; i < SERVICES; i++) {
                    String serial = i % 5 == 4 ? null : String.format("OTB3-9%05d", i);
                    if (serial != null) {
                        devices.register(tx, serial, "v3");
                    }
                    String offer = i % 3 == 0 ? TARGET : i % 3 == 1 ? "starter.v1" : "plus.v1";
                    ServiceStatus status = i % 7 == 5 ? ServiceStatus.SUSPENDED
                            : i % 7 == 6 ? ServiceStatus.TERMINATED : ServiceStatus.ACTIVE;
                    engine.createService(tx, new DesiredStateEngine.NewService(name(i), "acc-" + i, offer, status,
                            "10.77.0." + (i + 1), serial), "seed");
                }
                return null;
            });
            database.inTransaction(tx -> {
                for (int i = 0; i < SERVICES; i++) {
                    if (i % 4 == 1) {
                        engine.setDesiredOffer(tx, name(i), "starter.v1", "earlier");
                    }
                }
                return null;
            });
            database.inTransaction(tx -> {
                for (PushTask task : tx.query("SELECT * FROM push_tasks ORDER BY id", PushTasks::map)) {
                    int i = Integer.parseInt(task.serviceName().substring(4));
                    if (i % 4 == 1) {
                        tasks.markSent(tx, task.id(), task.deviceId(), 0);
                    } else if (i % 4 == 2) {
                        tasks.finish(tx, task.id(), TaskState.DONE, "applied", null);
                    }
                }
                devices.register(tx, "OTB3-800003", "v3");
                engine.bindService(tx, name(3), "OTB3-800003", "seed");
                return null;
            });
            told.clear();
        }

        Map<String, List<Map<String, String>>> tables() {
            Map<String, List<Map<String, String>>> tables = new LinkedHashMap<>();
            database.inTransaction(tx -> {
                tables.put("services", rows(tx, "SELECT * FROM services ORDER BY name"));
                tables.put("devices", rows(tx, "SELECT * FROM devices ORDER BY id"));
                tables.put("desired_profiles", rows(tx, "SELECT * FROM desired_profiles ORDER BY service_name, generation"));
                tables.put("audit_events", rows(tx, "SELECT * FROM audit_events ORDER BY id"));
                tables.put("push_tasks", rows(tx, "SELECT * FROM push_tasks ORDER BY id"));
                return null;
            });
            return tables;
        }
    }

    private static String name(int i) {
        return String.format("svc-%02d", i);
    }

    private static List<String> allInShuffledOrder() {
        List<String> names = new ArrayList<>(IntStream.range(0, SERVICES).mapToObj(BulkOfferChangeContract::name).toList());
        Collections.shuffle(names, new Random(7));
        return names;
    }

    private static List<Map<String, String>> rows(Tx tx, String sql) throws SQLException {
        return tx.query(sql, BulkOfferChangeContract::row);
    }

    private static Map<String, String> row(ResultSet rs) throws SQLException {
        ResultSetMetaData meta = rs.getMetaData();
        Map<String, String> row = new LinkedHashMap<>();
        for (int c = 1; c <= meta.getColumnCount(); c++) {
            String column = meta.getColumnLabel(c).toLowerCase(java.util.Locale.ROOT);
            Object value = meta.getColumnType(c) == java.sql.Types.TIMESTAMP ? Tx.instant(rs, column) : rs.getObject(c);
            row.put(column, value == null ? null : value.toString());
        }
        return row;
    }

    @Test
    public void bulkChangeLeavesTheSameRowsAsOneChangePerService() throws Exception {
        Store perService = new Store();
        Store bulk = new Store();
        perService.seed();
        bulk.seed();
        assertThat(bulk.tables()).isEqualTo(perService.tables());
        Map<String, String> ipsBefore = ips(bulk);
        List<String> order = allInShuffledOrder();

        perService.database.inTransaction(tx -> {
            for (String name : order) {
                perService.engine.setDesiredOffer(tx, name, TARGET, "operator");
            }
            return null;
        });
        DesiredStateEngine.OfferChanges changes = bulk.database.inTransaction(
                tx -> bulk.engine.setDesiredOffers(tx, order, TARGET, "operator"));

        Map<String, List<Map<String, String>>> expected = perService.tables();
        Map<String, List<Map<String, String>>> actual = bulk.tables();
        for (String table : expected.keySet()) {
            assertThat(actual.get(table)).as(table).isEqualTo(expected.get(table));
        }
        assertThat(bulk.told).isEqualTo(perService.told).isEqualTo(changes.devices()).hasSize(32);
        assertThat(changes.profiles()).extracting(DesiredProfile::serviceName).isEqualTo(order);
        bulk.database.inTransaction(tx -> {
            for (DesiredProfile profile : changes.profiles()) {
                assertThat(bulk.engine.desiredProfile(tx, profile.serviceName())).contains(profile);
            }
            return null;
        });
        // as the per-service path: a service already on the offer (svc-00) and a terminated one (svc-06) change too
        bulk.database.inTransaction(tx -> {
            assertThat(bulk.services.find(tx, name(0)).orElseThrow().desiredGeneration()).isEqualTo(2);
            assertThat(bulk.services.find(tx, name(6)).orElseThrow())
                    .satisfies(s -> assertThat(s.status()).isEqualTo(ServiceStatus.TERMINATED))
                    .satisfies(s -> assertThat(s.offer()).isEqualTo(TARGET))
                    .satisfies(s -> assertThat(s.desiredGeneration()).isEqualTo(2));
            return null;
        });
        // docs/architecture.md#the-store-and-its-invariants (invariant 1): no path changes a service's IP
        assertThat(ips(bulk)).isEqualTo(ipsBefore);
        assertThat(changes.profiles()).allSatisfy(p -> assertThat(p.serviceIp()).isEqualTo(ipsBefore.get(p.serviceName())));
    }

    private static Map<String, String> ips(Store store) {
        return store.database.inTransaction(tx -> {
            Map<String, String> ips = new LinkedHashMap<>();
            tx.query("SELECT name, service_ip FROM services ORDER BY name", r -> ips.put(r.getString(1), r.getString(2)));
            return ips;
        });
    }

    @Test
    public void unknownServicesAreAllNamedAndNothingIsWritten() throws Exception {
        Store store = new Store();
        store.seed();
        Map<String, List<Map<String, String>>> before = store.tables();
        List<String> names = new ArrayList<>(allInShuffledOrder());
        names.add(3, "svc-nope-1");
        names.add("svc-nope-2");

        assertThatThrownBy(() -> store.database.inTransaction(tx -> store.engine.setDesiredOffers(tx, names, TARGET, "op")))
                .isInstanceOfSatisfying(DesiredStateException.class,
                        e -> assertThat(e.reason()).isEqualTo(DesiredStateException.Reason.UNKNOWN_SERVICE))
                .hasMessage("no service svc-nope-1, svc-nope-2");
        assertThatThrownBy(() -> store.database.inTransaction(tx -> store.engine.setDesiredOffers(tx,
                List.of(name(1), name(2), name(1)), TARGET, "op")))
                .isInstanceOfSatisfying(DesiredStateException.class,
                        e -> assertThat(e.reason()).isEqualTo(DesiredStateException.Reason.INVALID))
                .hasMessageContaining(name(1));
        assertThatThrownBy(() -> store.database.inTransaction(tx -> store.engine.setDesiredOffers(tx,
                List.of(name(1)), "gold.v9", "op")))
                .isInstanceOfSatisfying(DesiredStateException.class,
                        e -> assertThat(e.reason()).isEqualTo(DesiredStateException.Reason.UNKNOWN_OFFER));

        assertThat(store.tables()).isEqualTo(before);
        assertThat(store.told).isEmpty();
        assertThat(store.database.inTransaction(tx -> store.engine.setDesiredOffers(tx, List.of(), TARGET, "op"))
                .profiles()).isEmpty();
    }

    @Test
    public void boxesAreToldAfterTheCommitAndNeverForABatchRolledBack() throws Exception {
        Store store = new Store();
        store.seed();
        Map<String, List<Map<String, String>>> before = store.tables();
        List<String> order = allInShuffledOrder();

        assertThatThrownBy(() -> store.database.inTransaction(tx -> {
            store.engine.setDesiredOffers(tx, order, TARGET, "op");
            throw new IllegalStateException("the caller fails after the change");
        })).hasMessage("the caller fails after the change");
        assertThat(store.tables()).isEqualTo(before);
        assertThat(store.told).isEmpty();

        List<String> toldInside = store.database.inTransaction(tx -> {
            store.engine.setDesiredOffers(tx, order, TARGET, "op");
            return List.copyOf(store.told);
        });
        assertThat(toldInside).isEmpty();
        assertThat(store.told).hasSize(32).doesNotHaveDuplicates();
        long todoAtDesired = store.database.inTransaction(tx -> tx.queryLong("SELECT COUNT(*) FROM push_tasks "
                + "WHERE state = 'todo' AND generation = (SELECT desired_generation FROM services s "
                + "WHERE s.name = push_tasks.service_name)"));
        assertThat(todoAtDesired).isEqualTo(32);
    }
}
