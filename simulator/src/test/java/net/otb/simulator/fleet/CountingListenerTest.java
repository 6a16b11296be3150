package net.otb.simulator.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fleet's counting listener stands between the agents and the caller's listener: it must pass on every event. */
class CountingListenerTest {

    @Test
    void everyEventOfTheFleetListenerIsPassedOn() {
        List<String> missing = Arrays.stream(FleetListener.class.getDeclaredMethods())
                .filter(Method::isDefault)
                .filter(m -> {
                    try {
                        Fleet.CountingListener.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
                        return false;
                    } catch (NoSuchMethodException e) {
                        return true;
                    }
                })
                .map(Method::getName).toList();
        assertThat(missing).as("FleetListener methods the counting listener swallows").isEmpty();
    }
}
