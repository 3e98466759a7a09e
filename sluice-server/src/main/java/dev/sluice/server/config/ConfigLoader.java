package dev.sluice.server.config;

import dev.sluice.functions.FunctionSpec;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code sluice.yaml}, a subset of Sequin's {@code sequin.yaml}, into a validated {@link SluiceConfig}.
 *
 * <p>The whole file is checked before anything is returned, and every problem found is reported at once in one
 * {@link ConfigException}, each with its line, column and key path. Scalar values may use {@code ${VAR}} and
 * {@code ${VAR:-default}}; {@code $$} is a literal dollar. Keys are documented in {@code docs/configuration.md}.
 *
 * <p>Thread-safe and stateless.
 */
public final class ConfigLoader {
    static final List<String> TOP_LEVEL_KEYS =
            List.of("databases", "http_endpoints", "functions", "sinks", "api_tokens", "account", "users");
    private static final Map<String, String> UNSUPPORTED = Map.of(
            "change_retentions", "not supported yet: Sluice cannot write changes to a table; remove this section");
    /** Sections of a self-hosted {@code sequin.yaml} that mean nothing to Sluice, which has no accounts or users. */
    private static final Map<String, String> NOT_APPLICABLE = Map.of(
            "account", "Sluice has no accounts",
            "users", "Sluice has no users; access is by API token");

    private static final List<String> API_TOKEN_KEYS = List.of("name", "token");
    private static final Pattern API_KEY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

    private static final String LEGACY_FUNCTIONS = "transforms";

    private ConfigLoader() {}

    /**
     * Reads and validates a file, substituting variables from the process environment.
     *
     * @throws ConfigException if the file cannot be read or is invalid; the message lists every problem
     */
    public static SluiceConfig load(Path path) {
        String source = path.toString();
        String yaml;
        try {
            yaml = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw Problems.single(source, "file not found");
        } catch (CharacterCodingException e) {
            throw Problems.single(source, "file is not valid UTF-8");
        } catch (IOException e) {
            throw Problems.single(source, "cannot read file: " + e);
        }
        return parse(yaml, source, System::getenv);
    }

    /**
     * Reads and validates YAML text.
     *
     * @param sourceName the file name to show in messages
     * @param env looks up variables for {@code ${VAR}}; returns null when one is not set
     * @throws ConfigException if the text is invalid; the message lists every problem
     */
    public static SluiceConfig parse(String yaml, String sourceName, Function<String, @Nullable String> env) {
        return parse(yaml, sourceName, env, Set.of(), List.of());
    }

    /**
     * Like {@link #parse(String, String, Function)}, for a file applied on top of stored resources: its sinks may
     * also refer to the databases named in {@code knownDatabases} and to the HTTP endpoints {@code knownEndpoints}
     * (which the file's endpoints of the same name replace).
     */
    public static SluiceConfig parse(
            String yaml,
            String sourceName,
            Function<String, @Nullable String> env,
            Set<String> knownDatabases,
            Collection<HttpEndpointConfig> knownEndpoints) {
        Problems problems = new Problems(sourceName);
        return read(YamlReader.read(yaml, sourceName, env, problems), problems, knownDatabases, knownEndpoints);
    }

    /**
     * Validates a configuration given as a JSON tree in the shape of the YAML file (how the metadata store and the
     * API hold it). Values are taken literally: no {@code ${VAR}} substitution. Problems name key paths; their line
     * and column are 0.
     *
     * @throws ConfigException if the document is invalid; the message lists every problem
     */
    public static SluiceConfig parseTree(tools.jackson.databind.JsonNode doc, String sourceName) {
        Problems problems = new Problems(sourceName);
        return read(JsonTree.toYaml(doc, problems), problems, Set.of(), List.of());
    }

    private static SluiceConfig read(
            @Nullable YamlNode root,
            Problems problems,
            Set<String> knownDatabases,
            Collection<HttpEndpointConfig> knownEndpoints) {
        if (root == null) {
            problems.throwIfAny();
            return SluiceConfig.empty();
        }
        if (!(root instanceof YamlNode.Mapping top)) {
            problems.add(
                    root.mark(),
                    "",
                    "expected a mapping with databases, http_endpoints, functions and sinks, got " + root.describe());
            problems.throwIfAny();
            throw new AssertionError();
        }
        for (YamlNode.Entry e : top.entries().values()) {
            String reason = UNSUPPORTED.get(e.key());
            String notApplicable = NOT_APPLICABLE.get(e.key());
            if (reason != null) {
                problems.add(e.keyMark(), e.key(), reason);
            } else if (notApplicable != null) {
                // Accepted so that a self-hosted sequin.yaml loads as it is.
                log.info(
                        "{}:{}: '{}' is not applicable and is ignored: {}",
                        problems.source(),
                        e.keyMark().line(),
                        e.key(),
                        notApplicable);
            } else if (!TOP_LEVEL_KEYS.contains(e.key()) && !e.key().equals(LEGACY_FUNCTIONS) && !e.anchored()) {
                // A top-level key holding an anchor is a template for '<<' merges, as in Sequin's examples.
                problems.add(e.keyMark(), e.key(), Fields.unknownKey(e.key(), TOP_LEVEL_KEYS));
            }
        }
        List<YamlNode> databaseNodes = section(top, "databases", problems);
        List<YamlNode> endpointNodes = section(top, "http_endpoints", problems);
        List<YamlNode> sinkNodes = section(top, "sinks", problems);
        List<YamlNode> tokenNodes = section(top, "api_tokens", problems);
        List<YamlNode> functionNodes = new ArrayList<>(section(top, "functions", problems));
        List<String> functionPaths = new ArrayList<>();
        for (int i = 0; i < functionNodes.size(); i++) {
            functionPaths.add("functions[" + i + "]");
        }
        // Sequin's legacy name for the section; both may be given.
        List<YamlNode> legacy = section(top, LEGACY_FUNCTIONS, problems);
        for (int i = 0; i < legacy.size(); i++) {
            functionNodes.add(legacy.get(i));
            functionPaths.add(LEGACY_FUNCTIONS + "[" + i + "]");
        }
        Set<String> databaseNames = uniqueNames(databaseNodes, "databases", "database", problems);
        Set<String> endpointNames = uniqueNames(endpointNodes, "http_endpoints", "HTTP endpoint", problems);
        databaseNames.addAll(knownDatabases);
        Map<String, HttpEndpointConfig> endpointsByName = new HashMap<>();
        knownEndpoints.forEach(e -> {
            endpointNames.add(e.name());
            endpointsByName.put(e.name(), e);
        });
        uniqueNames(sinkNodes, "sinks", "sink", problems);
        uniqueNames(tokenNodes, "api_tokens", "API token", problems);
        for (int i = 0; i < functionNodes.size(); i++) {
            String w = FunctionSection.wrapper(functionNodes.get(i));
            if (w != null) {
                functionNodes.set(
                        i,
                        ((YamlNode.Mapping) functionNodes.get(i))
                                .entries()
                                .get(w)
                                .value());
                functionPaths.set(i, Fields.join(functionPaths.get(i), w));
            }
        }
        Set<String> functionNames = uniqueNames(functionNodes, "functions", "function", problems);

        List<DatabaseConfig> databases = new ArrayList<>();
        for (int i = 0; i < databaseNodes.size(); i++) {
            DatabaseConfig db = DatabaseSection.read(databaseNodes.get(i), "databases[" + i + "]", problems);
            if (db != null) {
                databases.add(db);
            }
        }
        List<HttpEndpointConfig> endpoints = new ArrayList<>();
        for (int i = 0; i < endpointNodes.size(); i++) {
            HttpEndpointConfig ep =
                    HttpEndpointSection.read(endpointNodes.get(i), "http_endpoints[" + i + "]", problems);
            if (ep != null) {
                endpoints.add(ep);
                endpointsByName.put(ep.name(), ep);
            }
        }
        Map<String, FunctionSpec> functionsByName = new LinkedHashMap<>();
        for (int i = 0; i < functionNodes.size(); i++) {
            FunctionSpec fn = FunctionSection.read(functionNodes.get(i), functionPaths.get(i), problems);
            if (fn != null) {
                functionsByName.putIfAbsent(fn.name(), fn);
            }
        }
        FunctionNames functions = new FunctionNames(functionsByName, functionNames);
        List<SinkConfig> sinks = new ArrayList<>();
        for (int i = 0; i < sinkNodes.size(); i++) {
            SinkConfig sink = SinkSection.read(
                    sinkNodes.get(i),
                    "sinks[" + i + "]",
                    problems,
                    databaseNames,
                    endpointNames,
                    endpointsByName,
                    functions);
            if (sink != null) {
                sinks.add(sink);
            }
        }
        List<ApiTokenConfig> apiTokens = new ArrayList<>();
        for (int i = 0; i < tokenNodes.size(); i++) {
            ApiTokenConfig t = apiToken(tokenNodes.get(i), "api_tokens[" + i + "]", problems);
            if (t != null) {
                apiTokens.add(t);
            }
        }
        problems.throwIfAny();
        return new SluiceConfig(databases, endpoints, sinks, List.copyOf(functionsByName.values()), apiTokens);
    }

    private static @Nullable ApiTokenConfig apiToken(YamlNode node, String path, Problems problems) {
        Fields f = Fields.of(node, path, problems, API_TOKEN_KEYS, Map.of(), Set.of());
        if (f == null) {
            return null;
        }
        String name = f.requiredString("name");
        String token = f.requiredString("token");
        if (name != null && !API_KEY_NAME.matcher(name).matches()) {
            f.problem("name", "must be 1 to 128 letters, digits, '_', '-' or '.', starting with a letter or digit");
            return null;
        }
        String problem = token == null ? null : ApiTokenConfig.problem(token);
        if (problem != null) {
            f.problem("token", problem);
            return null;
        }
        return name == null || token == null ? null : new ApiTokenConfig(name, token);
    }

    private static List<YamlNode> section(YamlNode.Mapping top, String key, Problems problems) {
        YamlNode.Entry entry = top.entries().get(key);
        if (entry == null || entry.value() instanceof YamlNode.Scalar s && s.value() == null) {
            return List.of();
        }
        if (entry.value() instanceof YamlNode.Sequence seq) {
            return seq.items();
        }
        problems.add(
                entry.value().mark(),
                key,
                "expected a list (entries start with '- '), got "
                        + entry.value().describe());
        return List.of();
    }

    /** Collects the names given in a section, reporting repeats, before the entries themselves are read. */
    private static Set<String> uniqueNames(List<YamlNode> nodes, String section, String kind, Problems problems) {
        Map<String, Integer> firstLine = new HashMap<>();
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i) instanceof YamlNode.Mapping m
                    && m.entries().get("name") instanceof YamlNode.Entry e
                    && e.value() instanceof YamlNode.Scalar s
                    && s.value() != null
                    && !s.value().isBlank()) {
                Integer first = firstLine.putIfAbsent(s.value(), s.mark().line());
                if (first != null) {
                    problems.add(
                            s.mark(),
                            section + "[" + i + "].name",
                            "duplicate " + kind + " name '" + s.value() + "' (first defined at line " + first
                                    + "); names must be unique");
                }
                names.add(s.value());
            }
        }
        return names;
    }
}
