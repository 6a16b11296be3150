package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.otb.server.api.Router;
import net.otb.server.migration.Harness.Answer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAPI document and the server's real routes describe the same API, both ways. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiDocumentTest {

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z][A-Za-z0-9]*)}");

    private Harness harness;
    private JsonNode document;

    @BeforeAll
    void start(@TempDir Path dataDir) throws IOException {
        harness = new Harness(dataDir, Instant.parse("2026-06-01T10:00:00Z")).start();
        document = new ObjectMapper().readTree(OfferChangeApi.openApiDocument());
    }

    @AfterAll
    void stop() {
        harness.close();
    }

    private Set<String> registered() {
        Set<String> routes = new TreeSet<>();
        for (Router.Route route : harness.server().router().routes()) {
            routes.add(route.method() + " " + route.template());
        }
        return routes;
    }

    private Set<String> documented() {
        Set<String> routes = new TreeSet<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(m -> {
            if (METHODS.contains(m)) {
                routes.add(m.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        return routes;
    }

    @Test
    void everyRegisteredRouteIsDocumented() {
        Set<String> missing = new TreeSet<>(registered());
        missing.removeAll(documented());
        assertThat(missing).as("routes the OpenAPI document lacks").isEmpty();
    }

    @Test
    void everyDocumentedOperationIsARegisteredRoute() {
        Set<String> extra = new TreeSet<>(documented());
        extra.removeAll(registered());
        assertThat(extra).as("documented operations no route serves").isEmpty();
        assertThat(documented()).contains("POST /1.0/overTheBox/{serviceName}/migration/changeOffers",
                "POST /1.0/me/order/{orderId}/pay", "GET /1.0/admin/fleet");
    }

    @Test
    void theServedDocumentIsTheBundledOneAndIsOpenApi3() {
        Answer served = harness.get(OfferChangeApi.OPENAPI_PATH);
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.json()).isEqualTo(document);
        assertThat(document.path("openapi").asText()).startsWith("3.");
        assertThat(document.at("/info/title").asText()).isNotBlank();
    }

    @Test
    void everyPathParameterIsDeclaredAndEveryOperationHasAnIdAndAnAnswer() {
        List<String> faults = new ArrayList<>();
        Set<String> operationIds = new TreeSet<>();
        document.path("paths").fields().forEachRemaining(path -> {
            Set<String> inTemplate = new TreeSet<>();
            Matcher m = PARAM.matcher(path.getKey());
            while (m.find()) {
                inTemplate.add(m.group(1));
            }
            path.getValue().fields().forEachRemaining(op -> {
                String where = op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey();
                Set<String> declared = new TreeSet<>();
                op.getValue().path("parameters").forEach(p -> {
                    if ("path".equals(p.path("in").asText())) {
                        declared.add(p.path("name").asText());
                        if (!p.path("required").asBoolean()) {
                            faults.add(where + ": path parameter " + p.path("name").asText() + " must be required");
                        }
                    }
                });
                if (!declared.equals(inTemplate)) {
                    faults.add(where + ": path parameters " + declared + " but the template has " + inTemplate);
                }
                if (!operationIds.add(op.getValue().path("operationId").asText(""))) {
                    faults.add(where + ": missing or duplicate operationId");
                }
                if (!op.getValue().path("responses").fieldNames().hasNext()) {
                    faults.add(where + ": no responses");
                }
            });
        });
        assertThat(faults).isEmpty();
    }

    @Test
    void everyReferenceResolves() {
        List<String> refs = new ArrayList<>();
        collectRefs(document, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).startsWith("#/");
            assertThat(document.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            Iterator<String> names = node.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                if (name.equals("$ref")) {
                    refs.add(node.get(name).asText());
                } else {
                    collectRefs(node.get(name), refs);
                }
            }
        } else if (node.isArray()) {
            node.forEach(child -> collectRefs(child, refs));
        }
    }
}
