package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import net.otb.server.ProvisioningServer;
import net.otb.server.ServerConfig;
import net.otb.server.store.StoreConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer on the HTTP API: raw bytes from a client go through the production HTTP pipeline (Netty's codec, the
 * body aggregator, {@link HttpRequestHandler}, the router, the handlers and their JSON bodies, the store) on an
 * {@link EmbeddedChannel}, with the real API of a real server (H2 in memory behind it). Whatever arrives, every
 * answer is a well-formed HTTP response, a refusal is a 4xx {@code application/problem+json} with a type and a
 * title, never a 5xx (a handler that failed on a client's input), and nothing escapes the pipeline. Replays
 * {@code HttpFuzzTestInputs/} (real requests of the order system, billing and operators) in every build;
 * {@code JAZZER_FUZZ=1} fuzzes (docs/reliability.md).
 */
class HttpFuzzTest {

    static ProvisioningServer server;
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("otb-http-fuzz");
        ServerConfig base = ServerConfig.ephemeral(dir.resolve("data"));
        // in memory: the fuzzer writes thousands of rows a second, and durability is not what it tests
        server = ProvisioningServer.builder(base.withStore(new StoreConfig(
                "jdbc:h2:mem:http-fuzz;LOCK_TIMEOUT=10000;DB_CLOSE_DELAY=-1", "sa", "", 4))).build();
        server.start();
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @FuzzTest(maxDuration = "5m")
    void anyRequestBytesGetWellFormedAnswersAndNoServerError(byte[] request) {
        Dispatcher dispatcher = new Dispatcher(server.context().database(), server.context().metrics());
        EmbeddedChannel channel = new EmbeddedChannel(
                new HttpServerCodec(4096, 8192, 8192),
                new HttpApiServer.ProblemAggregator(64 * 1024),
                new HttpRequestHandler(server.router(), dispatcher, new InlineExecutor()));
        List<ByteBuf> written = new ArrayList<>();
        try {
            if (request.length > 0) {
                channel.writeInbound(Unpooled.wrappedBuffer(request));
            }
            // the handler pauses reading until each answer is written: run the writes, then any pipelined request
            for (int round = 0; round < 64 && channel.hasPendingTasks(); round++) {
                channel.runPendingTasks();
            }
            channel.checkException();
            for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
                written.add(out);
            }
        } finally {
            channel.finishAndReleaseAll();
        }
        List<HttpMethod> methods = methodsOf(request);
        List<FullHttpResponse> responses = parse(methods, written);
        for (int i = 0; i < responses.size(); i++) {
            FullHttpResponse response = responses.get(i);
            try {
                int status = response.status().code();
                String body = response.content().toString(StandardCharsets.UTF_8);
                assertThat(status).as("status of %s", body).isBetween(100, 499);
                if (status >= 400) {
                    assertThat(response.headers().get("Content-Type")).startsWith("application/problem+json");
                    if (i < methods.size() && methods.get(i).equals(HttpMethod.HEAD)) {
                        // the answer to a HEAD has the headers of the problem and no body
                        assertThat(body).isEmpty();
                        continue;
                    }
                    JsonNode problem = ApiJson.mapper().readTree(body);
                    assertThat(problem.path("title").asText()).isNotBlank();
                    assertThat(problem.path("status").asInt()).isEqualTo(status);
                }
            } catch (IOException e) {
                throw new AssertionError("a problem body that is not JSON", e);
            } finally {
                response.release();
            }
        }
    }

    /** The methods of the requests in {@code bytes}, in order, as the server's decoder splits them. */
    private static List<HttpMethod> methodsOf(byte[] bytes) {
        EmbeddedChannel decoder = new EmbeddedChannel(new HttpRequestDecoder(4096, 8192, 8192));
        List<HttpMethod> methods = new ArrayList<>();
        try {
            if (bytes.length > 0) {
                decoder.writeInbound(Unpooled.wrappedBuffer(bytes));
            }
            for (Object in = decoder.readInbound(); in != null; in = decoder.readInbound()) {
                if (in instanceof HttpRequest request) {
                    methods.add(request.method());
                }
                ReferenceCountUtil.release(in);
            }
        } finally {
            decoder.finishAndReleaseAll();
        }
        return methods;
    }

    /**
     * Reads back what the server wrote, as a client would; the client is told the methods it "sent", because the
     * answer to a HEAD has a Content-Length and no body.
     */
    private static List<FullHttpResponse> parse(List<HttpMethod> methods, List<ByteBuf> written) {
        EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
        List<FullHttpResponse> responses = new ArrayList<>();
        try {
            for (HttpMethod method : methods) {
                client.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
            }
            for (Object out = client.readOutbound(); out != null; out = client.readOutbound()) {
                ReferenceCountUtil.release(out);
            }
            StringBuilder raw = new StringBuilder();
            for (ByteBuf buf : written) {
                raw.append(buf.toString(StandardCharsets.ISO_8859_1));
                client.writeInbound(buf);
            }
            try {
                client.checkException();
                client.close();
                client.checkException();
            } catch (RuntimeException e) {
                throw new AssertionError("the server's answers to " + methods + " do not read as HTTP: " + raw, e);
            }
            for (Object in = client.readInbound(); in != null; in = client.readInbound()) {
                FullHttpResponse response = (FullHttpResponse) in;
                assertThat(response.decoderResult().isSuccess()).as("a well-formed response").isTrue();
                responses.add(response);
            }
        } finally {
            client.finishAndReleaseAll();
        }
        return responses;
    }

    /** Runs each task on the calling thread (the channel's), so that an input's answers exist when it returns. */
    static final class InlineExecutor extends AbstractExecutorService {

        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
