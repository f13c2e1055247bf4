package dev.swarmhub.core;

import java.util.OptionalLong;

/** What the domain needs to know about processes on this machine. */
public interface ProcessProbe {

    /** This machine's name, as recorded with agents registered here. */
    String host();

    /** Start time (epoch ms) of the process, or empty when no such process exists. */
    OptionalLong startedAt(long pid);
}
