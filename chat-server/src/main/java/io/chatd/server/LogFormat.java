package io.chatd.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-format}: {@code text} keeps logback.xml's pattern; {@code json} switches every console or file
 * appender (also behind an AsyncAppender) to logback's own {@link JsonEncoder}: one JSON object per line with
 * timestamp, level, thread, logger, the formatted message, the line's key-value pairs (user, client, close code...)
 * and the exception.
 */
enum LogFormat {
    text, json;

    /** Applies this format to the running logback configuration; returns how many appenders it switched. */
    int apply() {
        if (this == text || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return 0;
        }
        int switched = 0;
        for (OutputStreamAppender<ILoggingEvent> appender : outputAppenders(context.getLogger(Logger.ROOT_LOGGER_NAME))) {
            JsonEncoder encoder = new JsonEncoder();
            encoder.setContext(context);
            encoder.setWithSequenceNumber(false);
            encoder.setWithNanoseconds(false);
            encoder.setWithContext(false);
            encoder.setWithMessage(false); // the formatted message instead of the pattern and its arguments
            encoder.setWithArguments(false);
            encoder.setWithFormattedMessage(true);
            encoder.start();
            appender.stop();
            appender.setEncoder(encoder);
            appender.start();
            switched++;
        }
        return switched;
    }

    private static List<OutputStreamAppender<ILoggingEvent>> outputAppenders(AppenderAttachable<ILoggingEvent> parent) {
        List<OutputStreamAppender<ILoggingEvent>> found = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = parent.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> appender = it.next();
            if (appender instanceof OutputStreamAppender<ILoggingEvent> out) {
                found.add(out);
            } else if (appender instanceof AppenderAttachable<?> nested) {
                @SuppressWarnings("unchecked")
                AppenderAttachable<ILoggingEvent> events = (AppenderAttachable<ILoggingEvent>) nested;
                found.addAll(outputAppenders(events));
            }
        }
        return found;
    }
}
