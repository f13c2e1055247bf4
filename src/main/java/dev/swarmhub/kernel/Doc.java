package dev.swarmhub.kernel;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes one argument of an {@link Operation}: what it means, whether it must be given, an
 * example, and its name on the wire when that is not the component's (a Java name may not be).
 * Every adapter's help, schema and error message comes from here.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Doc {

    String value();

    boolean required() default false;

    String example() default "";

    /** The argument's name in JSON and tools when not the component's own. */
    String name() default "";

    /** A list whose values are taken whole on a command line (a program's arguments), never split at commas. */
    boolean whole() default false;
}
