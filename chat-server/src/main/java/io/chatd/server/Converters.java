package io.chatd.server;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** picocli converters for the human-friendly values of our flags. */
final class Converters {

    private Converters() {
    }

    /**
     * {@code 500ms}, {@code 25s}, {@code 2m}, {@code 1h}. A number needs its unit ({@code 0} excepted): a bare
     * {@code 5} could mean seconds or milliseconds, and a guess would be wrong for someone.
     */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(us|ms|s|m|h)?");

        @Override
        public Duration convert(String value) {
            Matcher m = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration like 500ms, 25s or 2m");
            }
            long amount = Long.parseLong(m.group(1));
            if (m.group(2) == null && amount != 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' needs a unit: " + amount + "ms, "
                        + amount + "s or " + amount + "m");
            }
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "us" -> Duration.ofNanos(amount * 1000);
                case "ms" -> Duration.ofMillis(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofSeconds(amount);
            };
        }
    }

    /** A duration the way a flag takes it: {@code 25s}, {@code 500ms}, {@code 2m}, {@code 1h}. */
    static String format(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        if (d.toNanos() % 1_000_000 != 0) {
            return d.toNanos() / 1000 + "us";
        }
        long millis = d.toMillis();
        if (millis % 1000 != 0) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
    }

    /** {@code 65536}, {@code 64KiB}, {@code 64k}, {@code 1MiB}, {@code 1m}; at most 1 GiB. */
    static final class SizeConverter implements CommandLine.ITypeConverter<Integer> {
        private static final Pattern FORMAT = Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib)?");

        @Override
        public Integer convert(String value) {
            Matcher m = FORMAT.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size like 65536, 64KiB or 1MiB");
            }
            long amount = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2);
            long bytes = switch (unit) {
                case "k", "kb", "kib" -> amount * 1024;
                case "m", "mb", "mib" -> amount * 1024 * 1024;
                default -> amount;
            };
            if (bytes > 1L << 30) {
                throw new CommandLine.TypeConversionException("'" + value + "' is larger than 1GiB");
            }
            return (int) bytes;
        }
    }
}
