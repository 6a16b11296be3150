package net.otb.server.migration;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.otb.server.ServerContext;
import net.otb.server.api.AdminApi;
import net.otb.server.api.ApiModule;
import net.otb.server.api.ApiRequest;
import net.otb.server.api.ApiResponse;
import net.otb.server.api.ProblemException;
import net.otb.server.api.Problems;
import net.otb.server.api.Router;
import net.otb.server.contact.ContactDraft;
import net.otb.server.order.Refusal;
import net.otb.server.order.Result;

/**
 * The order system's routes for the offer change (docs/architecture.md#the-order-api) and the OpenAPI document of the whole API. Handlers
 * only parse, call {@link OfferChange} and render: a refusal becomes problem+json (404, 409 or 400) and, being
 * thrown, rolls the transaction back. Found by {@link java.util.ServiceLoader}; registers the hello listener that
 * completes a migration when the shipped box connects.
 */
public final class OfferChangeApi implements ApiModule {

    /** Where the OpenAPI document is served and bundled. */
    public static final String OPENAPI_PATH = "/1.0/openapi.json";
    static final String OPENAPI_RESOURCE = "/openapi.json";

    private static final String ORDER_SYSTEM = "order-system";
    private static final String BILLING = "billing";
    private static final String WAREHOUSE = "warehouse";
    private static final int MAX_CONTRACTS = 64;
    private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    record ChangeOffersBody(String offer, String hardwareName, Long shippingContactID, String shippingMethod,
                            String shippingRelayID, List<String> acceptedContracts) {
    }

    record PayBody(String paymentId, Long amountCents) {
    }

    record ShipmentBody(String deviceId) {
    }

    record ContactBody(String name, String street, String postcode, String city, String country, String phone,
                       @com.fasterxml.jackson.annotation.JsonProperty("default") Boolean makeDefault) {
    }

    @Override
    public void register(Router router, ServerContext context) {
        OfferChange change = new OfferChange(new CatalogTerms(context::catalog), context.services(), context.devices(),
                context.engine(), context.audit(), context.config().billingZone());
        context.addHelloListener(change);
        byte[] openApi = openApiDocument();

        router.plain("GET", OPENAPI_PATH, request -> new ApiResponse(200, openApi, ApiResponse.JSON, Map.of()));

        router.get("/1.0/overTheBox/{serviceName}/migration/offers", (request, tx) -> ApiResponse.ok(
                Views.EligibleView.of(accepted(change.eligibleOffers(tx, request.pathParam("serviceName"))))));

        router.get("/1.0/order/overTheBox/{serviceName}/migrate", (request, tx) -> {
            Long contact = optionalId(request, "shippingContactID");
            Quote quote = accepted(change.quote(tx, request.pathParam("serviceName"), request.requiredQuery("offer"),
                    request.query("hardware").orElse(null), contact));
            return ApiResponse.ok(Views.QuoteView.of(quote, contact));
        });

        router.post("/1.0/overTheBox/{serviceName}/migration/changeOffers", (request, tx) -> {
            ChangeOffersBody body = request.body(ChangeOffersBody.class);
            checkFields(body);
            OfferChange.OrderedChange ordered = accepted(change.changeOffers(tx, request.pathParam("serviceName"),
                    new ChangeRequest(body.offer(), body.hardwareName(), body.shippingContactID(), body.shippingMethod(),
                            body.shippingRelayID(), body.acceptedContracts()), AdminApi.actor(tx, ORDER_SYSTEM)));
            // 200 as the public API answers it (OVH's clients take any other status for an error), where the order is
            return ApiResponse.ok(new Views.OrderCreated(ordered.order().id(), ordered.order().url(),
                    Views.Price.of(ordered.order().amount()), ordered.migration().state().wire()))
                    .withHeader("Location", ordered.order().url());
        });

        router.get("/1.0/overTheBox/{serviceName}/migration", (request, tx) -> {
            OfferChange.MigrationStatus status = accepted(change.status(tx, request.pathParam("serviceName")));
            return ApiResponse.ok(Views.MigrationView.of(status.migration(), status.order(),
                    status.boundDeviceId().orElse(null), status.profileApplied().orElse(null),
                    status.refund().orElse(null)));
        });

        router.get("/1.0/me/order/{orderId}", (request, tx) ->
                orderView(accepted(change.order(tx, orderId(request)))));

        router.post("/1.0/me/order/{orderId}/pay", (request, tx) -> {
            PayBody body = request.hasBody() ? request.body(PayBody.class) : new PayBody(null, null);
            if (body.paymentId() != null && (body.paymentId().isBlank() || body.paymentId().length() > 128)) {
                throw Problems.invalidField("paymentId", "paymentId must be 1-128 characters");
            }
            return orderView(accepted(change.pay(tx, orderId(request), body.paymentId(), body.amountCents(), AdminApi.actor(tx, BILLING))));
        });

        router.post("/1.0/me/order/{orderId}/cancel", (request, tx) ->
                orderView(accepted(change.cancel(tx, orderId(request), AdminApi.actor(tx, ORDER_SYSTEM)))));

        router.post("/1.0/me/order/{orderId}/shipment", (request, tx) -> {
            ShipmentBody body = request.body(ShipmentBody.class);
            if (body.deviceId() == null || body.deviceId().isBlank()) {
                throw Problems.invalidField("deviceId", "deviceId, the shipped box's serial, is required");
            }
            if (!SERIAL.matcher(body.deviceId().strip()).matches()) {
                throw Problems.invalidField("deviceId", "deviceId must be a box serial: 1-64 letters, digits, "
                        + "'.', '_' or '-'");
            }
            return orderView(accepted(change.ship(tx, orderId(request), body.deviceId().strip(), AdminApi.actor(tx, WAREHOUSE))));
        });

        router.get("/1.0/me/contact", (request, tx) ->
                ApiResponse.ok(change.contacts().list(tx).stream().map(Views.ContactView::of).toList()));

        router.post("/1.0/me/contact", (request, tx) -> {
            ContactBody body = request.body(ContactBody.class);
            ContactDraft draft = accepted(new ContactDraft(body.name(), body.street(), body.postcode(), body.city(),
                    body.country(), body.phone(), Boolean.TRUE.equals(body.makeDefault())).validate());
            var contact = change.contacts().create(tx, draft);
            context.audit().append(tx, AdminApi.actor(tx, ORDER_SYSTEM), "contact.created", null, null, null,
                    "contact " + contact.id() + (contact.isDefault() ? " (default)" : ""));
            return ApiResponse.ok(Views.ContactView.of(contact)).withHeader("Location", "/1.0/me/contact/" + contact.id());
        });

        router.get("/1.0/me/contact/{contactId}", (request, tx) -> {
            long id = id(request.pathParam("contactId"), "contactId");
            return ApiResponse.ok(Views.ContactView.of(change.contacts().find(tx, id)
                    .orElseThrow(() -> Problems.notFound("no contact " + id))));
        });

        router.get("/1.0/me/refund", (request, tx) -> {
            Long order = optionalId(request, "orderId");
            return ApiResponse.ok(accepted(change.refunds(tx, order)).stream().map(Views.RefundView::of).toList());
        });
    }

    /** Bounds the free-text fields before they reach the rules and the store, each refusal naming its field. */
    private static void checkFields(ChangeOffersBody body) {
        List<String> accepted = body.acceptedContracts();
        if (accepted != null) {
            if (accepted.size() > MAX_CONTRACTS) {
                throw Problems.invalidField("acceptedContracts", "acceptedContracts lists at most " + MAX_CONTRACTS
                        + " contract names");
            }
            for (int i = 0; i < accepted.size(); i++) {
                String name = accepted.get(i);
                if (name == null || name.isBlank() || name.length() > 128) {
                    throw Problems.invalidField("acceptedContracts[" + i + "]",
                            "acceptedContracts[" + i + "] must be a contract name of 1-128 characters");
                }
            }
        }
        if (body.shippingRelayID() != null && (body.shippingRelayID().length() > 64
                || body.shippingRelayID().chars().anyMatch(Character::isISOControl))) {
            throw Problems.invalidField("shippingRelayID", "shippingRelayID must be at most 64 printable characters");
        }
    }

    private static ApiResponse orderView(OfferChange.OrderedChange ordered) {
        return ApiResponse.ok(Views.OrderView.of(ordered.order(), ordered.migration()));
    }

    /** The value of an accepted result; a refusal is thrown as the problem the order system reads. */
    static <T> T accepted(Result<T> result) {
        if (result.isAccepted()) {
            return result.value();
        }
        throw problem(result.refusal());
    }

    static ProblemException problem(Refusal refusal) {
        String title = switch (refusal.kind()) {
            case NOT_FOUND -> "Not found";
            case CONFLICT -> "Offer change refused";
            case INVALID -> "Invalid request";
        };
        ProblemException problem = new ProblemException(refusal.kind().httpStatus(), refusal.code(), title,
                refusal.reason());
        refusal.extensions().forEach(problem::with);
        if (!refusal.fields().isEmpty()) {
            problem.with("fields", refusal.fields());
            if (refusal.fields().size() == 1) {
                problem.with("field", refusal.fields().get(0).field());
            }
        }
        return problem;
    }

    private static long orderId(ApiRequest request) {
        return id(request.pathParam("orderId"), "orderId");
    }

    private static Long optionalId(ApiRequest request, String name) {
        return request.query(name).map(v -> id(v, name)).orElse(null);
    }

    private static long id(String value, String name) {
        try {
            long id = Long.parseLong(value);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below, with the field's name
        }
        throw Problems.invalidField(name, name + " must be a positive integer, got '" + value + "'");
    }

    /**
     * The bundled OpenAPI document.
     *
     * @throws IllegalStateException if the jar lacks it (a build defect)
     */
    static byte[] openApiDocument() {
        try (InputStream in = OfferChangeApi.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the bundled " + OPENAPI_RESOURCE + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled " + OPENAPI_RESOURCE, e);
        }
    }
}
