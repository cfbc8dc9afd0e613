/**
 * The seam between a chat-core node and the other nodes of its cluster; {@code chat-redis} implements it on Redis.
 */
package io.chatd.core.cluster;
