package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTreeTest {

    @Test
    void everyKindOfValueBecomesPlainJava() throws Exception {
        Object tree = JsonTree.parse("{\"s\":\"x\",\"i\":7,\"big\":18446744073709551615,\"d\":1.5,\"t\":true,"
                + "\"f\":false,\"n\":null,\"a\":[1,[],{},null],\"o\":{\"p\":{\"q\":\"deep\"}}}");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("s", "x");
        expected.put("i", 7);
        expected.put("big", new BigInteger("18446744073709551615"));
        expected.put("d", 1.5);
        expected.put("t", true);
        expected.put("f", false);
        expected.put("n", null);
        expected.put("a", Arrays.asList(1, List.of(), Map.of(), null));
        expected.put("o", Map.of("p", Map.of("q", "deep")));
        assertThat(tree).isEqualTo(expected);
        assertThat(List.copyOf(((Map<?, ?>) tree).keySet())).as("in the tool's order")
                .isEqualTo(List.copyOf(expected.keySet()));
        assertThat(JsonTree.text(tree, "o", "p", "q")).isEqualTo("deep");
        assertThat(JsonTree.integer(tree, "i")).isEqualTo(7);
        assertThat(JsonTree.isTrue(tree, "t")).isTrue();
        assertThat(JsonTree.items(tree, "a")).hasSize(4);
    }

    @Test
    void aMissingOrDifferentlyTypedFieldReadsAsAbsent() throws Exception {
        Object tree = JsonTree.parse("{\"s\":\"x\",\"i\":7,\"o\":{}}");
        assertThat(JsonTree.text(tree, "i")).isNull();
        assertThat(JsonTree.text(tree, "s", "deeper")).isNull();
        assertThat(JsonTree.text(tree, "o", "p", "q")).isNull();
        assertThat(JsonTree.integer(tree, "s")).isZero();
        assertThat(JsonTree.isTrue(tree, "s")).isFalse();
        assertThat(JsonTree.items(tree, "o")).isEmpty();
        assertThat(JsonTree.text(List.of("x"), "s")).isNull();
    }

    @Test
    void onlyTheFirstValueIsRead() throws Exception {
        assertThat(JsonTree.parse("[1] [2]")).isEqualTo(List.of(1));
    }

    @Test
    void textThatIsNotJsonIsRefused() {
        for (String bad : List.of("", "[1,", "{\"a\":", "{\"a\" 1}", "class htb 1:10", "[1,]x")) {
            assertThatThrownBy(() -> JsonTree.parse(bad)).as(bad).isInstanceOf(JsonProcessingException.class);
        }
    }
}
