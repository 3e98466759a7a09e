package dev.sluice.sink.nats;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The JVM's default TLS context, with the server's host name checked against its certificate. The NATS client
 * upgrades its socket with the context's socket factory and checks only the certificate chain; this context's factory
 * turns on endpoint identification ({@code HTTPS} rules) for every socket it makes, so a trusted certificate for
 * another host is refused.
 */
final class HostVerifyingTls {
    private HostVerifyingTls() {}

    static SSLContext context() throws NoSuchAlgorithmException {
        SSLContext base = SSLContext.getDefault();
        SSLSocketFactory factory = new Factory(base.getSocketFactory());
        SSLContextSpi spi = new SSLContextSpi() {
            @Override
            protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr)
                    throws KeyManagementException {
                throw new KeyManagementException("already initialised");
            }

            @Override
            protected SSLSocketFactory engineGetSocketFactory() {
                return factory;
            }

            @Override
            protected SSLServerSocketFactory engineGetServerSocketFactory() {
                return base.getServerSocketFactory();
            }

            @Override
            protected SSLEngine engineCreateSSLEngine() {
                return verifying(base.createSSLEngine());
            }

            @Override
            protected SSLEngine engineCreateSSLEngine(String host, int port) {
                return verifying(base.createSSLEngine(host, port));
            }

            @Override
            protected SSLSessionContext engineGetServerSessionContext() {
                return base.getServerSessionContext();
            }

            @Override
            protected SSLSessionContext engineGetClientSessionContext() {
                return base.getClientSessionContext();
            }
        };
        return new SSLContext(spi, base.getProvider(), base.getProtocol()) {};
    }

    private static SSLEngine verifying(SSLEngine engine) {
        SSLParameters p = engine.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(p);
        return engine;
    }

    private static Socket verifying(Socket socket) {
        if (socket instanceof SSLSocket s) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
        }
        return socket;
    }

    private static final class Factory extends SSLSocketFactory {
        private final SSLSocketFactory delegate;

        Factory(SSLSocketFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return verifying(delegate.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) throws IOException {
            return verifying(delegate.createSocket(s, consumed, autoClose));
        }

        @Override
        public Socket createSocket() throws IOException {
            return verifying(delegate.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return verifying(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return verifying(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return verifying(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return verifying(delegate.createSocket(address, port, localAddress, localPort));
        }
    }
}
