package dev.sluice.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads one entry of {@code databases}. */
final class DatabaseSection {
    static final List<String> KEYS = List.of(
            "name",
            "url",
            "hostname",
            "port",
            "database",
            "username",
            "password",
            "ssl",
            "ipv6",
            "slot",
            "publication",
            "slot_name",
            "publication_name",
            "pool_size",
            "primary",
            "heartbeat_interval_ms",
            "annotations");
    private static final List<String> PRIMARY_KEYS =
            List.of("url", "hostname", "port", "database", "username", "password", "ssl", "ipv6");
    /** Sequin tuning keys with no meaning for Sluice: accepted so that Sequin files load, and ignored. */
    static final Set<String> IGNORED = Set.of("await_database", "queue_interval", "queue_target", "use_local_tunnel");

    private static final Map<String, String> REJECTED = Map.of(
            "tables",
            "database-level 'tables' is an old Sequin form and is not supported; choose tables per sink with"
                    + " 'source' and 'tables'");
    private static final List<String> CONNECTION_KEYS = List.of("hostname", "port", "database", "username", "password");
    private static final List<String> SLOT_KEYS = List.of("name", "create_if_not_exists", "status");
    private static final Map<String, Boolean> SLOT_STATUSES = SinkSection.orderedMap("active", true, "disabled", false);
    private static final List<String> PUBLICATION_KEYS = List.of("name", "create_if_not_exists");
    private static final Map<String, String> PUBLICATION_REJECTED = Map.of(
            "init_sql", "not supported yet; create the publication yourself, or let Sluice create it",
            "schemas", "not supported yet; create the publication yourself, or let Sluice create it");

    private DatabaseSection() {}

    /** Returns null if the entry has problems (all recorded). */
    static @Nullable DatabaseConfig read(YamlNode node, String path, Problems problems) {
        int before = problems.count();
        Fields f = Fields.of(node, path, problems, KEYS, REJECTED, IGNORED);
        if (f == null) {
            return null;
        }
        String name = f.requiredString("name");
        Endpoint self = endpoint(f, false);

        boolean ipv6 = Objects.requireNonNullElse(f.bool("ipv6"), false);
        int poolSize = Objects.requireNonNullElse(
                f.integer("pool_size", 1, Integer.MAX_VALUE), DatabaseConfig.DEFAULT_POOL_SIZE);
        Duration heartbeat = heartbeat(f);
        String annotations = SinkSection.annotations(f);
        SlotConfig slot = slot(f);
        PublicationConfig publication = publication(f);
        PrimaryConfig primary = null;
        YamlNode primaryNode = f.node("primary");
        if (primaryNode != null && self != null) {
            Fields pf = Fields.of(primaryNode, f.path("primary"), problems, PRIMARY_KEYS, Map.of(), Set.of());
            Endpoint p = pf == null ? null : endpoint(pf, true);
            if (p != null) {
                // A physical replica has its primary's databases and roles: what is not given is the replica's.
                primary = new PrimaryConfig(
                        p.hostname(),
                        Objects.requireNonNullElse(p.port(), self.portOrDefault()),
                        Objects.requireNonNullElse(p.database(), Objects.requireNonNull(self.database())),
                        Objects.requireNonNullElse(p.username(), self.usernameOrDefault()),
                        p.password() != null ? p.password() : self.password(),
                        Objects.requireNonNullElse(p.ssl(), self.sslOrDefault()),
                        Objects.requireNonNullElse(pf.bool("ipv6"), ipv6));
            }
        }

        if (problems.count() > before || name == null || self == null || annotations == null) {
            return null;
        }
        return new DatabaseConfig(
                name,
                self.hostname(),
                self.portOrDefault(),
                Objects.requireNonNull(self.database()),
                self.usernameOrDefault(),
                self.password(),
                self.sslOrDefault(),
                ipv6,
                Objects.requireNonNull(slot),
                Objects.requireNonNull(publication),
                poolSize,
                primary,
                Objects.requireNonNull(heartbeat),
                annotations);
    }

    /** {@code heartbeat_interval_ms}: 0 turns heartbeats off; otherwise at least 1000. */
    private static @Nullable Duration heartbeat(Fields f) {
        Integer ms = f.integer("heartbeat_interval_ms", 0, Integer.MAX_VALUE);
        if (ms == null) {
            return f.has("heartbeat_interval_ms") ? null : DatabaseConfig.DEFAULT_HEARTBEAT_INTERVAL;
        }
        long min = DatabaseConfig.MIN_HEARTBEAT_INTERVAL.toMillis();
        if (ms != 0 && ms < min) {
            f.problem(
                    "heartbeat_interval_ms",
                    "must be 0 (heartbeats off) or at least " + min + " (milliseconds), got " + ms);
            return null;
        }
        return Duration.ofMillis(ms);
    }

    /** Where a server is, as given: null parts were not given. */
    private record Endpoint(
            String hostname,
            @Nullable Integer port,
            @Nullable String database,
            @Nullable String username,
            @Nullable String password,
            @Nullable Boolean ssl) {
        String usernameOrDefault() {
            return Objects.requireNonNullElse(username, DatabaseConfig.DEFAULT_USERNAME);
        }

        int portOrDefault() {
            return Objects.requireNonNullElse(port, DatabaseConfig.DEFAULT_PORT);
        }

        boolean sslOrDefault() {
            return Objects.requireNonNullElse(ssl, DatabaseConfig.defaultSsl(hostname));
        }
    }

    /**
     * Reads {@code url} or hostname/port/database/username/password, and ssl. At the top level the database is
     * required; in a {@code primary} block only the hostname is. Returns null after recording a problem.
     */
    private static @Nullable Endpoint endpoint(Fields f, boolean primary) {
        boolean top = !primary;
        Boolean ssl = f.bool("ssl");
        if (f.has("url")) {
            for (String key : CONNECTION_KEYS) {
                if (f.present(key)) {
                    f.problem(key, "give either 'url' or hostname/port/database/username/password, not both");
                }
            }
            String url = f.string("url");
            if (url == null) {
                return null;
            }
            try {
                PostgresUrl parsed = PostgresUrl.parse(url.strip());
                if (parsed.ssl() != null) {
                    if (ssl != null) {
                        f.problem("ssl", "TLS is already set by the url's sslmode; remove one of them");
                    }
                    ssl = parsed.ssl();
                }
                return new Endpoint(
                        parsed.host(), parsed.port(), parsed.database(), parsed.user(), parsed.password(), ssl);
            } catch (IllegalArgumentException e) {
                f.problem("url", "invalid Postgres URL: " + e.getMessage());
                return null;
            }
        }
        if (!f.has("hostname")) {
            f.problems()
                    .add(
                            f.mark(),
                            f.path("hostname"),
                            top
                                    ? "required key is missing: give either 'url'"
                                            + " (postgres://user:password@host:5432/db) or hostname, database,"
                                            + " username and password"
                                    : "required key is missing: give the primary's hostname (or a 'url');"
                                            + " port, database, username, password and ssl default to the"
                                            + " replica's");
            return null;
        }
        String hostname = f.requiredString("hostname");
        Integer port = f.integer("port", 1, 65535);
        String database = top ? f.requiredString("database") : f.string("database");
        if (!top && database != null && database.isBlank()) {
            f.problem("database", "must not be empty");
        }
        String username = f.string("username");
        if (username != null && username.isBlank()) {
            f.problem("username", "must not be empty");
        }
        String password = f.string("password");
        if (hostname == null || (top && database == null)) {
            return null;
        }
        return new Endpoint(hostname, port, database, username, password, ssl);
    }

    private static @Nullable SlotConfig slot(Fields f) {
        String name = SlotConfig.DEFAULT_NAME;
        boolean create = false;
        boolean enabled = true;
        String nameKey = "slot_name";
        YamlNode block = f.node("slot");
        if (block != null) {
            if (f.present("slot_name")) {
                f.problem("slot_name", "the slot is already given in the 'slot' block; remove 'slot_name'");
            }
            Fields slot = Fields.of(block, f.path("slot"), f.problems(), SLOT_KEYS, Map.of(), Set.of());
            if (slot == null) {
                return null;
            }
            name = Objects.requireNonNullElse(slot.string("name"), name);
            create = Objects.requireNonNullElse(slot.bool("create_if_not_exists"), false);
            enabled = Objects.requireNonNullElse(slot.choice("status", SLOT_STATUSES), true);
            f = slot;
            nameKey = "name";
        } else {
            name = Objects.requireNonNullElse(f.string("slot_name"), name);
        }
        if (!SlotConfig.VALID_NAME.matcher(name).matches()) {
            f.problem(
                    nameKey,
                    "invalid replication slot name '" + name
                            + "': Postgres allows only 1 to 63 lower-case letters, digits and underscores");
            return null;
        }
        return new SlotConfig(name, create, enabled);
    }

    private static @Nullable PublicationConfig publication(Fields f) {
        String name = PublicationConfig.DEFAULT_NAME;
        boolean create = false;
        String nameKey = "publication_name";
        YamlNode block = f.node("publication");
        if (block != null) {
            if (f.present("publication_name")) {
                f.problem(
                        "publication_name",
                        "the publication is already given in the 'publication' block; remove 'publication_name'");
            }
            Fields pub = Fields.of(
                    block, f.path("publication"), f.problems(), PUBLICATION_KEYS, PUBLICATION_REJECTED, Set.of());
            if (pub == null) {
                return null;
            }
            name = Objects.requireNonNullElse(pub.string("name"), name);
            create = Objects.requireNonNullElse(pub.bool("create_if_not_exists"), false);
            f = pub;
            nameKey = "name";
        } else {
            name = Objects.requireNonNullElse(f.string("publication_name"), name);
        }
        if (name.isBlank() || name.length() > PublicationConfig.MAX_NAME_LENGTH) {
            f.problem(nameKey, "invalid publication name '" + name + "': use 1 to 63 characters");
            return null;
        }
        return new PublicationConfig(name, create);
    }
}
