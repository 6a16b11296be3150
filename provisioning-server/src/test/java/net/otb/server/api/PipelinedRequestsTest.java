package net.otb.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import net.otb.server.testing.ServerHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that arrive in one read are answered in their order, even when a later one is refused at once while an
 * earlier one is still with the workers (found by {@code HttpFuzzTest}: the refusal went out first, and the answer
 * to a HEAD before it took the refusal's body away).
 */
class PipelinedRequestsTest {

    @TempDir
    static Path dir;

    static ServerHarness harness;

    @BeforeAll
    static void start() throws Exception {
        harness = new ServerHarness(dir, g -> g);
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    @Test
    void aRefusalBehindARequestStillWithTheWorkersIsAnsweredAfterIt() {
        List<FullHttpResponse> answers = exchange(List.of(HttpMethod.GET, HttpMethod.GET),
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /1.0/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        try {
            assertThat(answers).extracting(a -> a.status().code()).containsExactly(200, 404);
        } finally {
            answers.forEach(ReferenceCountUtil::release);
        }
    }

    @Test
    void theAnswerToAHeadDoesNotTakeTheNextAnswersBody() throws Exception {
        List<FullHttpResponse> answers = exchange(List.of(HttpMethod.HEAD, HttpMethod.GET),
                "HEAD /1.0/admin/fleet HTTP/1.1\r\nHost: x\r\n\r\nGET /1.0/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        try {
            assertThat(answers).extracting(a -> a.status().code()).containsExactly(200, 404);
            assertThat(answers.get(0).content().readableBytes()).isZero();
            JsonNode problem = ApiJson.mapper().readTree(answers.get(1).content().toString(StandardCharsets.UTF_8));
            assertThat(problem.path("status").asInt()).isEqualTo(404);
        } finally {
            answers.forEach(ReferenceCountUtil::release);
        }
    }

    /** Sends {@code requests} in one read; the workers run only once the channel has done all it can without them. */
    private static List<FullHttpResponse> exchange(List<HttpMethod> methods, String requests) {
        HeldExecutor workers = new HeldExecutor();
        EmbeddedChannel server = new EmbeddedChannel(new HttpServerCodec(4096, 8192, 8192),
                new HttpApiServer.ProblemAggregator(64 * 1024),
                new HttpRequestHandler(harness.server.router(),
                        new Dispatcher(harness.server.context().database(), harness.server.context().metrics()),
                        workers));
        List<ByteBuf> written = new ArrayList<>();
        try {
            server.writeInbound(Unpooled.copiedBuffer(requests, StandardCharsets.US_ASCII));
            server.runPendingTasks();
            assertThat((Object) server.readOutbound()).as("nothing answered before the first request's answer").isNull();
            while (!workers.held.isEmpty() || server.hasPendingTasks()) {
                workers.runHeld();
                server.runPendingTasks();
            }
            for (ByteBuf out = server.readOutbound(); out != null; out = server.readOutbound()) {
                written.add(out);
            }
        } finally {
            server.finishAndReleaseAll();
        }
        EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
        List<FullHttpResponse> answers = new ArrayList<>();
        try {
            for (HttpMethod method : methods) {
                client.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
            }
            for (Object out = client.readOutbound(); out != null; out = client.readOutbound()) {
                ReferenceCountUtil.release(out);
            }
            written.forEach(client::writeInbound);
            client.checkException();
            for (Object in = client.readInbound(); in != null; in = client.readInbound()) {
                answers.add((FullHttpResponse) in);
            }
        } finally {
            client.finishAndReleaseAll();
        }
        return answers;
    }

    /** Keeps the tasks until the test runs them, on its own thread (the channel's, for an EmbeddedChannel). */
    static final class HeldExecutor extends AbstractExecutorService {
        final List<Runnable> held = new ArrayList<>();

        void runHeld() {
            List<Runnable> now = new ArrayList<>(held);
            held.clear();
            now.forEach(Runnable::run);
        }

        @Override
        public void execute(Runnable command) {
            held.add(command);
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
