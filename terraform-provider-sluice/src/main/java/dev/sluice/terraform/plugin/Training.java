package dev.sluice.terraform.plugin;

import com.google.protobuf.ByteString;
import dev.sluice.terraform.api.ApiException;
import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.proto.Tfplugin6;
import dev.sluice.terraform.provider.ProviderService;
import dev.sluice.terraform.provider.Resource;
import dev.sluice.terraform.resources.Resources;
import dev.sluice.terraform.wire.Msgpack;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The class-data sharing training run ({@code --cds-training}), made by {@code ./sluice terraform install} with
 * {@code -XX:ArchiveClassesAtExit}: it walks the provider's start-up path (TLS certificate, gRPC server, schemas, a
 * plan of each resource, an API call) so that the classes Terraform's runs load are in the archive, which the launcher
 * then maps instead of loading and verifying them again at each of Terraform's provider starts.
 */
final class Training {
    private Training() {}

    static void run() throws Exception {
        AutoTls tls = AutoTls.forClient(AutoTls.selfSignedPem());
        tls.handshakeField();
        ProviderService service = new ProviderService(Resources.all(), Resources.dataSources(), name -> null);
        service.getProviderSchema(Tfplugin6.GetProviderSchema.Request.getDefaultInstance(), ignore());
        service.getMetadata(Tfplugin6.GetMetadata.Request.getDefaultInstance(), ignore());
        for (Resource r : Resources.all()) {
            Map<String, @Nullable Object> empty = new LinkedHashMap<>();
            r.schema().attributes().forEach(a -> empty.put(a.name(), null));
            Tfplugin6.DynamicValue v = Tfplugin6.DynamicValue.newBuilder()
                    .setMsgpack(
                            ByteString.copyFrom(Msgpack.encode(empty, r.schema().type())))
                    .build();
            service.planResourceChange(
                    Tfplugin6.PlanResourceChange.Request.newBuilder()
                            .setTypeName(r.typeName())
                            .setProposedNewState(v)
                            .setConfig(v)
                            .build(),
                    ignore());
        }
        try {
            new SluiceApi(URI.create("http://127.0.0.1:9"), "training").get("/api/health");
        } catch (ApiException expected) {
            // Nothing listens there: the HTTP client's classes are loaded all the same.
        }
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(tls.context())
                .addService(service)
                .build()
                .start();
        server.shutdown().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static <T> StreamObserver<T> ignore() {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {}

            @Override
            public void onError(Throwable t) {
                throw new IllegalStateException(t);
            }

            @Override
            public void onCompleted() {}
        };
    }
}
