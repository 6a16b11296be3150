package net.otb.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.Callable;
import net.otb.agent.testing.WithoutDatabind;
import org.junit.jupiter.api.Test;

/** The box's agent ships without jackson-databind: the linux-tc backend must read the kernel's JSON without it. */
class TcReaderWithoutDatabindTest {

    /** Builds the whole layout in a fake kernel that answers in JSON throughout, and reads it back as text. */
    static final class Probe implements Callable<String> {

        @Override
        public String call() throws Exception {
            FakeKernel kernel = new FakeKernel("wan0").jsonClasses();
            TcCommands commands = new TcCommands("wan0", "ifb4wan0");
            kernel.run(commands.addIfb());
            for (String dev : List.of("wan0", "ifb4wan0")) {
                kernel.run(commands.addRootHtb(dev));
                kernel.run(commands.addClass(dev, HtbRate.of(dev.equals("wan0") ? 10_000 : 20_000)));
                kernel.run(commands.addLeaf(dev, LeafQdisc.FQ_CODEL));
            }
            kernel.run(commands.addIngress());
            kernel.run(commands.addRedirect());
            return new TcReader(kernel, commands).read().toString();
        }
    }

    @Test
    void theKernelsJsonIsReadWithoutDatabind() throws Exception {
        assertThat(WithoutDatabind.hides("com.fasterxml.jackson.databind.JsonNode")).isTrue();

        String read = WithoutDatabind.call(Probe.class);

        assertThat(read).isEqualTo(new TcState(true, new TcState.Htb(10_000, 10_000, "fq_codel"), true, "ifb4wan0",
                true, new TcState.Htb(20_000, 20_000, "fq_codel")).toString());
    }
}
