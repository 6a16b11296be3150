package net.otb.agent.linux;

import java.util.Map;
import net.otb.agent.backend.BackendException;
import net.otb.agent.backend.DeviceBackend;
import net.otb.agent.backend.DeviceBackendFactory;

/** The {@code linux-tc} backend; its options are listed on {@link LinuxTcSettings}. */
public final class LinuxTcBackendFactory implements DeviceBackendFactory {

    public static final String NAME = "linux-tc";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public DeviceBackend create(Map<String, String> options) throws BackendException {
        LinuxTcSettings settings = LinuxTcSettings.fromOptions(options);
        return LinuxTcBackend.open(settings, new ProcessCommandRunner(settings.commandPrefix(),
                settings.commandTimeout()));
    }
}
