package net.otb.server.catalog;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What can be sold and shaped (docs/architecture.md#the-order-api): offers, hardware and box models. Read from a JSON file; the
 * defaults are the bundled {@code net/otb/server/catalog/default-catalog.json}. Validated on load: a bad
 * file is refused with the path of the faulty field. Immutable.
 */
public record Catalog(List<Offer> offers, List<Hardware> hardware, List<DeviceModel> models) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String DEFAULT_RESOURCE = "default-catalog.json";

    /** A contract the customer accepts. */
    public record Contract(String name, String url) {
        public Contract {
            require(name != null && !name.isBlank() && name.length() <= 128, "contract name is required (1-128 characters)");
            require(url != null && url.matches("https?://\\S{1,500}"), "contract url must be an http(s) URL, got " + url);
        }
    }

    /**
     * An offer.
     *
     * @param legacy a legacy offer is kept by the services that have it but is never a migration target
     * @param engagementMonths the commitment the offer carries, 0 for none
     */
    public record Offer(String name, String displayName, long downKbps, long upKbps, long monthlyPriceCents,
                        boolean legacy, int engagementMonths, List<Contract> contracts) {
        public Offer {
            require(name != null && NAME.matcher(name).matches(), "offer name must be 1-64 letters, digits, '.', '_' or '-', got " + name);
            require(displayName != null && !displayName.isBlank(), "offer " + name + ": displayName is required");
            require(downKbps > 0 && downKbps <= 100_000_000, "offer " + name + ": downKbps must be 1..100000000");
            require(upKbps > 0 && upKbps <= 100_000_000, "offer " + name + ": upKbps must be 1..100000000");
            require(monthlyPriceCents >= 0, "offer " + name + ": monthlyPriceCents must not be negative");
            require(engagementMonths >= 0 && engagementMonths <= 60, "offer " + name + ": engagementMonths must be 0..60");
            contracts = contracts == null ? List.of() : List.copyOf(contracts);
        }

        public boolean orderable() {
            return !legacy;
        }
    }

    /** Hardware that can be ordered with an offer change; shipping is included in its price. */
    public record Hardware(String name, String displayName, long priceCents, boolean shippingIncluded, String model) {
        public Hardware {
            require(name != null && NAME.matcher(name).matches(), "hardware name must be 1-64 letters, digits, '.', '_' or '-', got " + name);
            require(displayName != null && !displayName.isBlank(), "hardware " + name + ": displayName is required");
            require(priceCents >= 0, "hardware " + name + ": priceCents must not be negative");
            require(model != null && NAME.matcher(model).matches(), "hardware " + name + ": model is required");
        }
    }

    /** A box model and the bandwidth it can shape at most. */
    public record DeviceModel(String name, String displayName, long nominalKbps) {
        public DeviceModel {
            require(name != null && NAME.matcher(name).matches(), "model name must be 1-64 letters, digits, '.', '_' or '-', got " + name);
            require(displayName != null && !displayName.isBlank(), "model " + name + ": displayName is required");
            require(nominalKbps > 0, "model " + name + ": nominalKbps must be positive");
        }
    }

    public Catalog {
        require(offers != null && !offers.isEmpty(), "the catalog has no offers");
        require(hardware != null, "the catalog has no hardware list");
        require(models != null && !models.isEmpty(), "the catalog has no device models");
        offers = List.copyOf(offers);
        hardware = List.copyOf(hardware);
        models = List.copyOf(models);
        unique(offers.stream().map(Offer::name).toList(), "offer");
        unique(hardware.stream().map(Hardware::name).toList(), "hardware");
        unique(models.stream().map(DeviceModel::name).toList(), "model");
        require(offers.stream().anyMatch(Offer::orderable), "the catalog has no orderable (non-legacy) offer");
        Set<String> modelNames = new HashSet<>(models.stream().map(DeviceModel::name).toList());
        for (Hardware h : hardware) {
            require(modelNames.contains(h.model()), "hardware " + h.name() + ": model " + h.model() + " is not in models");
        }
    }

    public Optional<Offer> offer(String name) {
        return offers.stream().filter(o -> o.name().equals(name)).findFirst();
    }

    public Optional<Hardware> hardware(String name) {
        return hardware.stream().filter(h -> h.name().equals(name)).findFirst();
    }

    public Optional<DeviceModel> model(String name) {
        return models.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** The offers a migration may target. */
    public List<Offer> orderableOffers() {
        return offers.stream().filter(Offer::orderable).toList();
    }

    /** Whether a profile of {@code offer} is above what {@code model} can shape (the box still applies it). */
    public boolean deviceLimited(String offer, String model) {
        Optional<Offer> o = offer(offer);
        Optional<DeviceModel> m = model(model);
        return o.isPresent() && m.isPresent()
                && Math.max(o.get().downKbps(), o.get().upKbps()) > m.get().nominalKbps();
    }

    /**
     * The bundled default catalog.
     *
     * @throws CatalogException if the bundled file is broken (a build defect)
     */
    public static Catalog defaults() {
        try (InputStream in = Catalog.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new CatalogException("the bundled " + DEFAULT_RESOURCE + " is missing");
            }
            return parse(in.readAllBytes(), "bundled " + DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new CatalogException("cannot read the bundled " + DEFAULT_RESOURCE + ": " + e.getMessage());
        }
    }

    /**
     * Loads a catalog file.
     *
     * @throws CatalogException naming the file and what is wrong in it
     */
    public static Catalog load(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new CatalogException("catalog " + file + ": no such file");
        } catch (IOException e) {
            throw new CatalogException("catalog " + file + ": cannot read: " + e.getMessage());
        }
    }

    static Catalog parse(byte[] json, String source) {
        ObjectMapper mapper = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
                .build();
        try {
            return mapper.readValue(json, Catalog.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new CatalogException("catalog " + source + ": " + cause.getMessage() + location(e));
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            throw new CatalogException("catalog " + source + ": " + e.getOriginalMessage() + " at " + path(e));
        } catch (IOException e) {
            throw new CatalogException("catalog " + source + ": not JSON: " + e.getMessage());
        }
    }

    /** The offers by name, in file order. */
    public Map<String, Offer> offersByName() {
        Map<String, Offer> map = new LinkedHashMap<>();
        offers.forEach(o -> map.put(o.name(), o));
        return map;
    }

    private static String location(com.fasterxml.jackson.databind.JsonMappingException e) {
        String path = path(e);
        return path.isEmpty() ? "" : " (at " + path + ")";
    }

    private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static void unique(List<String> names, String what) {
        Set<String> seen = new HashSet<>();
        for (String name : names) {
            require(seen.add(name), "the catalog lists the " + what + " " + name + " twice");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
