package dev.sluice.terraform.plugin;

import dev.sluice.terraform.proto.GRPCControllerGrpc;
import dev.sluice.terraform.proto.GrpcController;
import dev.sluice.terraform.provider.ProviderService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The plugin's gRPC server on a free loopback port: tfplugin6, go-plugin's health service and controller. It runs on
 * its own one-thread NIO event loop (no native transport to unpack at each start) that {@link #stop} ends: a JVM
 * asked to exit while a thread waits in a native call, as an event loop's selector does, waits 300 ms for it first,
 * and Terraform waits for the provider's exit three times per plan.
 */
record PluginServer(Server server, EventLoopGroup loop) {

    /**
     * @param tls the server side of AutoMTLS, or null for plain text (Terraform without a client certificate)
     * @param onShutdown run after the controller's Shutdown has been answered
     */
    static PluginServer start(@Nullable SslContext tls, ProviderService service, Runnable onShutdown)
            throws IOException {
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .channelType(NioServerSocketChannel.class)
                .bossEventLoopGroup(loop)
                .workerEventLoopGroup(loop);
        if (tls != null) {
            builder.sslContext(tls);
        }
        HealthStatusManager health = new HealthStatusManager();
        health.setStatus("plugin", HealthCheckResponse.ServingStatus.SERVING);
        Server server = builder.addService(service)
                .addService(health.getHealthService())
                .addService(new GRPCControllerGrpc.GRPCControllerImplBase() {
                    @Override
                    public void shutdown(GrpcController.Empty request, StreamObserver<GrpcController.Empty> out) {
                        out.onNext(GrpcController.Empty.getDefaultInstance());
                        out.onCompleted();
                        Thread.ofPlatform().start(onShutdown);
                    }
                })
                .build()
                .start();
        return new PluginServer(server, loop);
    }

    int port() {
        return ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
    }

    /** Lets the answers in flight go out (up to {@code grace}), then ends the server and its event loop. */
    void stop(Duration grace) throws InterruptedException {
        server.shutdown().awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        server.shutdownNow();
        loop.shutdownGracefully(0, grace.toMillis(), TimeUnit.MILLISECONDS).await(grace.toMillis());
    }
}
