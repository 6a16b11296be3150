package net.otb.simulator;

import java.util.concurrent.Callable;
import net.otb.simulator.bench.BenchCommand;
import net.otb.simulator.bench.BenchServerCommand;
import net.otb.simulator.bench.LatencyCommand;
import net.otb.simulator.bench.SessionBench;
import net.otb.simulator.campaign.CampaignCommand;
import net.otb.simulator.demo.DemoCommand;
import net.otb.simulator.fleet.FleetCommand;
import net.otb.simulator.scenario.ScenarioCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar otb-simulator.jar demo|fleet|scenario|bench|latency|session-bench|campaign}. Logging is quiet (warnings only) unless
 * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=info} is given: the commands print their own steps.
 */
@Command(name = "simulator", mixinStandardHelpOptions = true, version = "otb-simulator 0.1.0",
        description = "Simulated OverTheBox hardware and fleets of real agents: demo, fleet, scenario, bench, latency, session-bench, campaign.",
        subcommands = {DemoCommand.class, FleetCommand.class, ScenarioCommand.class, BenchCommand.class,
                BenchServerCommand.class, LatencyCommand.class, SessionBench.class, CampaignCommand.class})
public final class SimulatorMain implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 2;
    }

    public static void main(String[] args) {
        quietLogs();
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (0 success, 1 failure, 2 bad usage). */
    public static int run(String... args) {
        return new CommandLine(new SimulatorMain()).execute(args);
    }

    /** Sets slf4j-simple to warnings, one line each, unless the user chose otherwise; must run before any logger. */
    static void quietLogs() {
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefault("org.slf4j.simpleLogger.showThreadName", "false");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        setDefault("org.slf4j.simpleLogger.showLogName", "false");
        setDefault("io.netty.leakDetection.level", "disabled");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
