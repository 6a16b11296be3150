package net.otb.server.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import net.otb.server.api.ApiRequest;
import net.otb.server.api.ProblemException;
import org.junit.jupiter.api.Test;

/** A body of the wrong shape is refused in the API's terms: which field, what it must be; never Jackson's words. */
class BodyErrorsTest {

    @Test
    void anAmountInQuotesSaysThatAmountCentsMustBeAnInteger() {
        ProblemException problem = refuse("{\"paymentId\":\"p-1\",\"amountCents\":\"3999\"}", OfferChangeApi.PayBody.class);
        assertThat(problem.status()).isEqualTo(400);
        assertThat(problem.getMessage()).isEqualTo("amountCents must be an integer (a JSON number without quotes, "
                + "e.g. 3999), got a string");
    }

    @Test
    void aDefaultOfYesSaysTrueOrFalse() {
        ProblemException problem = refuse("{\"name\":\"A\",\"default\":\"yes\"}", OfferChangeApi.ContactBody.class);
        assertThat(problem.getMessage()).isEqualTo("default must be true or false (a JSON boolean without quotes), "
                + "got a string");
    }

    @Test
    void aShippingContactIdInQuotesAndAContractThatIsNotAListNameTheirFields() {
        assertThat(refuse("{\"offer\":\"business.v1\",\"shippingContactID\":\"12\"}", OfferChangeApi.ChangeOffersBody.class)
                .getMessage()).startsWith("shippingContactID must be an integer");
        assertThat(refuse("{\"offer\":\"business.v1\",\"acceptedContracts\":\"cgv\"}", OfferChangeApi.ChangeOffersBody.class)
                .getMessage()).isEqualTo("acceptedContracts must be an array, got a string");
        assertThat(refuse("{\"offer\":7}", OfferChangeApi.ChangeOffersBody.class).getMessage())
                .isEqualTo("offer must be a string (in double quotes), got an integer");
        assertThat(refuse("[1]", OfferChangeApi.ChangeOffersBody.class).getMessage())
                .isEqualTo("the body must be a JSON object, got an array");
    }

    @Test
    void noRefusalSpeaksJava() {
        for (String body : new String[] {"{\"amountCents\":\"3999\"}", "{\"amountCents\":1.5}", "{\"amountCents\":true}",
                "{\"paymentId\":[1]}", "{\"paymentId\":{}}", "{\"amountCents\":{}}"}) {
            assertThat(refuse(body, OfferChangeApi.PayBody.class).getMessage()).as(body)
                    .doesNotContain("java.").doesNotContain("Cannot").doesNotContain("Coercion")
                    .doesNotContain("`").doesNotContain("PayBody");
        }
    }

    private static ProblemException refuse(String json, Class<?> type) {
        ApiRequest request = new ApiRequest("POST", "/x", Map.of(), Map.of(), Map.of(),
                json.getBytes(StandardCharsets.UTF_8), "test", "/x");
        return catchThrowableOfType(ProblemException.class, () -> request.body(type));
    }
}
