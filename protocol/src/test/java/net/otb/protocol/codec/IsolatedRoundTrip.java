package net.otb.protocol.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Every path through {@link MessageMapper}: each sample written and read back, an unknown type, a type after
 * other fields, and each kind of refusal. Plain Java, so that {@link NoDataBindingTest} can run it in a class
 * loader that holds the protocol classes, jackson-core and Netty, and nothing else.
 */
public final class IsolatedRoundTrip implements Callable<List<String>> {

    private static final String[][] REFUSALS = {
        {"[1]", "a frame must hold one JSON object"},
        {"{\"type\":\"ping\",\"seq\":1", "invalid JSON"},
        {"{\"seq\":1}", "the message has no type field"},
        {"{\"type\":5}", "the type field must be a string"},
        {"{\"type\":\"ping\",\"seq\":\"1\"}", "invalid field seq"},
        {"{\"type\":\"ping\",\"seq\":99999999999999999999}", "out of range"},
        {"{\"type\":\"ping\"}", "invalid field seq: missing"},
        {"{\"type\":\"ping\",\"seq\":-1}", "invalid Ping"},
        {"{\"type\":\"applied\",\"generation\":1,\"status\":\"done\"}", "invalid Status"},
        {"{\"type\":\"hello\",\"protocols\":[\"1\"]}", "invalid field protocols[0]"},
        {"{\"type\":\"hello\",\"applied\":{\"generation\":true}}", "invalid field applied.generation"},
        {"{\"type\":\"ping\",\"seq\":1,\"seq\":2}", "Duplicate field"},
        {"{\"type\":\"ping\",\"seq\":1} {}", "after the object"},
        {"{\"type\":\"ping\",\"x\":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}", "nesting depth"},
        {"{\"type\":\"ping\",\"x\":NaN}", "invalid JSON"},
    };

    /** What went wrong; empty when every path behaved. */
    @Override
    public List<String> call() {
        MessageMapper mapper = MessageMapper.instance();
        List<String> problems = new ArrayList<>();
        for (WireSamples.Sample sample : WireSamples.all()) {
            byte[] json = mapper.write(sample.message());
            if (!new String(json, StandardCharsets.UTF_8).equals(sample.json())) {
                problems.add("wrote " + new String(json, StandardCharsets.UTF_8));
            }
            Object read = mapper.read(json, 0, json.length);
            if (!sample.message().equals(read)) {
                problems.add("read " + read);
            }
        }
        expect(problems, read(mapper, "{\"type\":\"futureThing\",\"x\":{\"y\":[1]}}"), new UnknownMessage("futureThing"));
        expect(problems, read(mapper, "{\"x\":{\"type\":1},\"seq\":2,\"type\":\"pong\"}"), new net.otb.protocol.Pong(2));
        for (String[] refusal : REFUSALS) {
            try {
                problems.add("accepted " + refusal[0] + " as " + read(mapper, refusal[0]));
            } catch (ProtocolException e) {
                if (!e.getMessage().contains(refusal[1])) {
                    problems.add(refusal[0] + " refused with " + e.getMessage());
                }
            }
        }
        return problems;
    }

    private static Object read(MessageMapper mapper, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return mapper.read(bytes, 0, bytes.length);
    }

    private static void expect(List<String> problems, Object actual, Object expected) {
        if (!expected.equals(actual)) {
            problems.add("expected " + expected + ", read " + actual);
        }
    }
}
