package dev.swarmhub.host;

import dev.swarmhub.leases.Fencing;
import dev.swarmhub.leases.Resource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A writer process stopped mid-write, as one paused or killed there: it stages a fenced write of
 * {@code args[1]} in project {@code args[0]}, says "staged" and holds it until its input ends.
 */
public final class StagedWriteHolder {

    private StagedWriteHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (Fencing.StagedWrite staged = new FencedFiles(Path.of(args[0])).stage(Resource.ofCanonical(args[1]), "the holder's\n", Fencing.Turn.WAIT)) {
            System.out.println("staged");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }
}
