package dev.sluice.terraform.plugin;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.terraform.proto.GRPCControllerGrpc;
import dev.sluice.terraform.proto.GrpcController;
import dev.sluice.terraform.proto.ProviderGrpc;
import dev.sluice.terraform.proto.Tfplugin6;
import dev.sluice.terraform.proto.Tfplugin6.DynamicValue;
import dev.sluice.terraform.provider.ProviderService;
import dev.sluice.terraform.provider.Resource;
import dev.sluice.terraform.resources.Resources;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.Msgpack;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The class-data sharing training run ({@code --cds-training}) that {@code ./sluice terraform install} records into
 * an AOT cache (JDK 25+) or a CDS archive: it walks what Terraform's runs walk, over the wire — a client with a P-521
 * certificate as Terraform's, the mutual TLS handshake, schema, configuration, validate, plan, apply, read and import
 * of every resource against a local API that answers 404, health, and the controller's shutdown — so that the classes
 * those load are mapped from the archive at each of Terraform's provider starts instead of loaded and linked again.
 */
final class Training {
    private Training() {}

    static void run() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp521r1"));
        KeyPair clientKeys = g.generateKeyPair();
        Instant now = Instant.now();
        X509Certificate clientCert = SelfSignedCertificate.create(clientKeys, now, now.plus(Duration.ofDays(1)));
        AutoTls tls = AutoTls.forClient("-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder().encodeToString(clientCert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        tls.handshakeField();

        HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        api.createContext("/", exchange -> {
            byte[] body = "{\"summary\":\"not found\"}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        api.start();
        Map<String, String> env = Map.of(
                "SLUICE_ENDPOINT", "http://127.0.0.1:" + api.getAddress().getPort(), "SLUICE_API_KEY", "training");
        CountDownLatch shutdown = new CountDownLatch(1);
        ProviderService service = new ProviderService(Resources.all(), Resources.dataSources(), env::get);
        PluginServer server = PluginServer.start(tls.context(), service, shutdown::countDown);
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
                .overrideAuthority("localhost")
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
                        .keyManager(clientKeys.getPrivate(), clientCert)
                        .trustManager(tls.certificate())
                        .build())
                .build();
        try {
            walk(ProviderGrpc.newBlockingStub(channel));
            HealthGrpc.newBlockingStub(channel)
                    .check(HealthCheckRequest.newBuilder().setService("plugin").build());
            GRPCControllerGrpc.newBlockingStub(channel).shutdown(GrpcController.Empty.getDefaultInstance());
            shutdown.await(5, TimeUnit.SECONDS);
        } finally {
            channel.shutdownNow();
            server.stop(Duration.ofSeconds(1));
            service.close();
            api.stop(0);
        }
    }

    private static void walk(ProviderGrpc.ProviderBlockingStub p) {
        p.getMetadata(Tfplugin6.GetMetadata.Request.getDefaultInstance());
        p.getProviderSchema(Tfplugin6.GetProviderSchema.Request.getDefaultInstance());
        DynamicValue providerConfig = nulls(ProviderService.PROVIDER_SCHEMA, null);
        p.validateProviderConfig(Tfplugin6.ValidateProviderConfig.Request.newBuilder()
                .setConfig(providerConfig)
                .build());
        p.configureProvider(Tfplugin6.ConfigureProvider.Request.newBuilder()
                .setConfig(providerConfig)
                .build());
        for (Resource r : Resources.all()) {
            DynamicValue empty = nulls(r.schema(), null);
            DynamicValue withId = nulls(r.schema(), "training");
            p.validateResourceConfig(Tfplugin6.ValidateResourceConfig.Request.newBuilder()
                    .setTypeName(r.typeName())
                    .setConfig(empty)
                    .build());
            p.planResourceChange(Tfplugin6.PlanResourceChange.Request.newBuilder()
                    .setTypeName(r.typeName())
                    .setProposedNewState(empty)
                    .setConfig(empty)
                    .build());
            // A destroy: the API's DELETE path (a create would need a valid configuration of each resource).
            p.applyResourceChange(Tfplugin6.ApplyResourceChange.Request.newBuilder()
                    .setTypeName(r.typeName())
                    .setPriorState(withId)
                    .setPlannedState(none(r.schema()))
                    .setConfig(none(r.schema()))
                    .build());
            p.readResource(Tfplugin6.ReadResource.Request.newBuilder()
                    .setTypeName(r.typeName())
                    .setCurrentState(withId)
                    .build());
            p.importResourceState(Tfplugin6.ImportResourceState.Request.newBuilder()
                    .setTypeName(r.typeName())
                    .setId("training")
                    .build());
        }
    }

    /** No object at all, as a destroy plans it. */
    private static DynamicValue none(Schema schema) {
        return DynamicValue.newBuilder()
                .setMsgpack(ByteString.copyFrom(Msgpack.encode(null, schema.type())))
                .build();
    }

    /** A value of {@code schema} with every attribute null, or only its identifiers set to {@code id}. */
    private static DynamicValue nulls(Schema schema, @Nullable String id) {
        Map<String, @Nullable Object> v = new LinkedHashMap<>();
        schema.attributes().forEach(a -> v.put(a.name(), null));
        if (id != null) {
            // What a stored state always has: the id, and a backfill's sink.
            for (String name : new String[] {"id", "sink_consumer"}) {
                if (v.containsKey(name)) {
                    v.put(name, id);
                }
            }
        }
        return DynamicValue.newBuilder()
                .setMsgpack(ByteString.copyFrom(Msgpack.encode(v, schema.type())))
                .build();
    }
}
