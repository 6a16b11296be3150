package net.otb.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {

    @Test
    void theBundledDefaultsAreDesignSection5() {
        Catalog catalog = Catalog.defaults();
        assertThat(catalog.offer("starter.v1").orElseThrow().monthlyPriceCents()).isEqualTo(1999);
        assertThat(catalog.offer("business.v1").orElseThrow().downKbps()).isEqualTo(1_000_000);
        assertThat(catalog.offer("plus.v1").orElseThrow().orderable()).isFalse();
        assertThat(catalog.orderableOffers()).extracting(Catalog.Offer::name).containsExactly("starter.v1", "business.v1");
        Catalog.Hardware v3 = catalog.hardware("otbv3").orElseThrow();
        assertThat(v3.priceCents()).isEqualTo(24_999);
        assertThat(v3.shippingIncluded()).isTrue();
        assertThat(catalog.deviceLimited("business.v1", "v2b")).isTrue();
        assertThat(catalog.deviceLimited("business.v1", "v3")).isFalse();
        assertThat(catalog.deviceLimited("starter.v1", "v2c")).isFalse();
    }

    @Test
    void aBadFileIsRefusedNamingTheFileAndTheField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.json");
        Files.writeString(file, "{\"offers\":[{\"name\":\"a\",\"displayName\":\"A\",\"downKbps\":-1,\"upKbps\":1,"
                + "\"monthlyPriceCents\":1,\"legacy\":false,\"engagementMonths\":0,\"contracts\":[]}],"
                + "\"hardware\":[],\"models\":[{\"name\":\"v3\",\"displayName\":\"v3\",\"nominalKbps\":1}]}");
        assertThatThrownBy(() -> Catalog.load(file)).isInstanceOf(CatalogException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("downKbps must be");
        Files.writeString(file, "{\"offers\":[{\"name\":\"a\",\"displayName\":\"A\",\"downKbps\":1,\"upKbps\":1,"
                + "\"monthlyPriceCents\":1,\"legacy\":false,\"engagementMonths\":0,\"contracts\":[],\"speed\":3}],"
                + "\"hardware\":[],\"models\":[{\"name\":\"v3\",\"displayName\":\"v3\",\"nominalKbps\":1}]}");
        assertThatThrownBy(() -> Catalog.load(file)).hasMessageContaining("speed");
        Files.writeString(file, "not json");
        assertThatThrownBy(() -> Catalog.load(file)).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> Catalog.load(dir.resolve("missing.json"))).hasMessageContaining("no such file");
    }

    @Test
    void hardwareMustNameAKnownModelAndNamesAreUnique() {
        assertThatThrownBy(() -> Catalog.parse(("{\"offers\":[{\"name\":\"a\",\"displayName\":\"A\",\"downKbps\":1,"
                + "\"upKbps\":1,\"monthlyPriceCents\":1,\"legacy\":false,\"engagementMonths\":0,\"contracts\":[]}],"
                + "\"hardware\":[{\"name\":\"h\",\"displayName\":\"H\",\"priceCents\":1,\"shippingIncluded\":true,"
                + "\"model\":\"v9\"}],\"models\":[{\"name\":\"v3\",\"displayName\":\"v3\",\"nominalKbps\":1}]}").getBytes(), "test"))
                .hasMessageContaining("model v9 is not in models");
    }
}
