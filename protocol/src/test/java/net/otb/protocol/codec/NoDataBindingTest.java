package net.otb.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import io.netty.channel.ChannelException;
import io.netty.handler.codec.DecoderException;
import io.netty.util.internal.ObjectUtil;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import net.otb.protocol.Message;
import org.junit.jupiter.api.Test;

/**
 * The agent must fit in 64 MB, and Jackson data binding alone loads some 600 classes: the wire codec runs on
 * jackson-core and nothing more of Jackson.
 */
class NoDataBindingTest {

    private static final List<String> FORBIDDEN = List.of("com.fasterxml.jackson.databind.",
            "com.fasterxml.jackson.annotation.");

    @Test
    void everyMessageIsWrittenAndReadWithoutDataBindingOnTheClassPath() throws Exception {
        try (RecordingLoader isolated = new RecordingLoader(location(MessageMapper.class),
                location(WireSamples.class), location(JsonFactory.class), location(DecoderException.class),
                location(ChannelException.class), location(ObjectUtil.class))) {
            Class<?> roundTrip = isolated.loadClass(IsolatedRoundTrip.class.getName());
            assertThat(isolated.loadClass(MessageMapper.class.getName()).getClassLoader()).isSameAs(isolated);

            @SuppressWarnings("unchecked")
            List<String> problems = ((Callable<List<String>>) roundTrip.getDeclaredConstructor().newInstance()).call();

            assertThat(problems).isEmpty();
            assertThat(isolated.asked).as("data-binding classes the codec asked for").isEmpty();
            // and the loader really cannot hand them out: a reference would have failed the run above
            assertThatThrownBy(() -> isolated.loadClass("com.fasterxml.jackson.databind.ObjectMapper"))
                    .isInstanceOf(ClassNotFoundException.class);
            assertThatThrownBy(() -> isolated.loadClass("com.fasterxml.jackson.annotation.JsonValue"))
                    .isInstanceOf(ClassNotFoundException.class);
        }
    }

    @Test
    void theMessagesAndTheCodecCarryNoDataBindingAnnotationsOrReferences() throws IOException {
        // an annotation whose class is missing is silently ignored at run time, so look in the class files
        Path classes = Path.of(location(Message.class).getPath());
        for (String pkg : List.of("net/otb/protocol", "net/otb/protocol/codec")) {
            try (Stream<Path> files = Files.list(classes.resolve(pkg))) {
                List<Path> classFiles = files.filter(f -> f.toString().endsWith(".class")).toList();
                assertThat(classFiles).isNotEmpty();
                for (Path file : classFiles) {
                    String constants = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                    for (String forbidden : FORBIDDEN) {
                        assertThat(constants).as(file.getFileName().toString())
                                .doesNotContain(forbidden.replace('.', '/'));
                    }
                }
            }
        }
    }

    private static URL location(Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    /** Sees only its URLs and the JDK, and notes every data-binding class anything asks it for. */
    private static final class RecordingLoader extends URLClassLoader {
        final Set<String> asked = ConcurrentHashMap.newKeySet();

        RecordingLoader(URL... urls) {
            super("no-databind", urls, ClassLoader.getPlatformClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (FORBIDDEN.stream().anyMatch(name::startsWith)) {
                asked.add(name);
            }
            return super.loadClass(name, resolve);
        }
    }
}
