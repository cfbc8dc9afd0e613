package io.chatd.core;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * Takes the user id from {@code ?user=NAME}, trusting the client. NAME is 1 to 64 characters of
 * {@code [A-Za-z0-9_.-]}. Fine on a laptop or behind an authenticating proxy; not on the open internet.
 */
public final class QueryParameterIdentityResolver implements IdentityResolver {

    @Override
    public Identity resolve(HttpRequest request) throws IdentityException {
        List<String> users = new QueryStringDecoder(request.uri()).parameters().get("user");
        if (users == null || users.isEmpty() || users.get(0).isEmpty()) {
            throw new IdentityException(HttpResponseStatus.BAD_REQUEST, "missing ?user=NAME");
        }
        String user = users.get(0);
        if (users.size() > 1 || !ChatConfig.NAME_PATTERN.matcher(user).matches()) {
            throw new IdentityException(HttpResponseStatus.BAD_REQUEST,
                    "user must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
        }
        return Identity.of(user);
    }
}
