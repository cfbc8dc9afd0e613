package io.chatd.core;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** Picks the native epoll transport when the platform has it, NIO otherwise. */
public enum Transports {
    EPOLL,
    NIO;

    /** Epoll on Linux with the native library loaded, NIO elsewhere. */
    public static Transports best() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** Why epoll is not available, or null when it is. */
    public static Throwable epollUnavailabilityCause() {
        return Epoll.unavailabilityCause();
    }

    /** A new event loop group of {@code threads} threads; 0 means Netty's default (2 x cores). */
    public EventLoopGroup newGroup(int threads) {
        IoHandlerFactory factory = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, factory);
    }

    public Class<? extends ServerChannel> serverChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public Class<? extends SocketChannel> socketChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
