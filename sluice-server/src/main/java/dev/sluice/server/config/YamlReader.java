package dev.sluice.server.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Turns YAML text into a {@link YamlNode} tree using SnakeYAML Engine's composer (which jackson-dataformat-yaml
 * already brings), because its nodes carry the line and column that Jackson's data binding would lose.
 *
 * <p>On the way it substitutes environment variables in scalar values, applies {@code <<} merge keys (so Sequin's
 * anchor examples work) and reports duplicate and non-string keys.
 */
final class YamlReader {
    private static final Set<String> NULLS = Set.of("", "~", "null", "Null", "NULL");
    /** Deeper than any sensible config; stops recursive aliases. */
    private static final int MAX_DEPTH = 64;

    private final Function<String, @Nullable String> env;
    private final Problems problems;

    private YamlReader(Function<String, @Nullable String> env, Problems problems) {
        this.env = env;
        this.problems = problems;
    }

    /**
     * Reads one document; returns null for an empty one. Syntax errors are fatal and thrown at once, as nothing
     * after them can be trusted.
     */
    static @Nullable YamlNode read(
            String yaml, String source, Function<String, @Nullable String> env, Problems problems) {
        Optional<Node> root;
        try {
            root = new Compose(LoadSettings.builder().setLabel(source).build()).composeString(yaml);
        } catch (MarkedYamlEngineException e) {
            YamlNode.Mark mark = e.getProblemMark().map(YamlReader::mark).orElse(YamlNode.Mark.NONE);
            problems.add(mark, "", "YAML syntax error: " + e.getProblem());
            problems.throwIfAny();
            throw e;
        } catch (YamlEngineException e) {
            throw Problems.single(source, "YAML error: " + e.getMessage());
        } catch (StackOverflowError e) {
            // snakeyaml-engine parses nested collections recursively and has no depth limit; its state is dropped.
            throw Problems.single(source, "YAML error: collections nested too deeply");
        }
        return root.map(node -> new YamlReader(env, problems).convert(node, "", 0))
                .orElse(null);
    }

    private YamlNode convert(Node node, String path, int depth) {
        YamlNode.Mark mark = node.getStartMark().map(YamlReader::mark).orElse(YamlNode.Mark.NONE);
        if (depth > MAX_DEPTH) {
            problems.add(mark, path, "nested too deeply (is an alias recursive?)");
            return new YamlNode.Scalar(mark, null, true);
        }
        return switch (node) {
            case ScalarNode s -> scalar(s, mark, path);
            case SequenceNode s -> {
                List<YamlNode> items = new ArrayList<>();
                for (Node item : s.getValue()) {
                    items.add(convert(item, path + "[" + items.size() + "]", depth + 1));
                }
                yield new YamlNode.Sequence(mark, List.copyOf(items));
            }
            case MappingNode m -> mapping(m, mark, path, depth);
            default -> throw new IllegalStateException("unexpected YAML node " + node.getNodeType());
        };
    }

    private YamlNode scalar(ScalarNode s, YamlNode.Mark mark, String path) {
        if (s.isPlain() && NULLS.contains(s.getValue())) {
            return new YamlNode.Scalar(mark, null, true);
        }
        int before = problems.count();
        String value = EnvSubstitution.apply(s.getValue(), env, message -> problems.add(mark, path, message));
        return new YamlNode.Scalar(mark, value, s.isPlain(), problems.count() > before);
    }

    private YamlNode mapping(MappingNode m, YamlNode.Mark mark, String path, int depth) {
        Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
        List<Node> merges = new ArrayList<>();
        for (NodeTuple tuple : m.getValue()) {
            Node keyNode = tuple.getKeyNode();
            YamlNode.Mark keyMark = keyNode.getStartMark().map(YamlReader::mark).orElse(mark);
            if (!(keyNode instanceof ScalarNode key) || key.getValue().isEmpty()) {
                problems.add(keyMark, path, "keys must be non-empty strings");
                continue;
            }
            if (key.isPlain() && key.getValue().equals("<<")) {
                merges.add(tuple.getValueNode());
                continue;
            }
            String name = key.getValue();
            String childPath = path.isEmpty() ? name : path + "." + name;
            YamlNode.Entry previous = entries.get(name);
            if (previous != null) {
                problems.add(
                        keyMark,
                        childPath,
                        "duplicate key (first given at line "
                                + previous.keyMark().line() + "); remove one");
                continue;
            }
            Node value = tuple.getValueNode();
            entries.put(
                    name,
                    new YamlNode.Entry(
                            name,
                            keyMark,
                            convert(value, childPath, depth + 1),
                            value.getAnchor().isPresent()));
        }
        for (Node merge : merges) {
            List<Node> sources = merge instanceof SequenceNode seq ? seq.getValue() : List.of(merge);
            for (Node source : sources) {
                if (convert(source, path, depth + 1) instanceof YamlNode.Mapping merged) {
                    merged.entries().forEach(entries::putIfAbsent);
                } else {
                    YamlNode.Mark at =
                            source.getStartMark().map(YamlReader::mark).orElse(mark);
                    problems.add(at, path, "a '<<' merge key needs a mapping or a list of mappings");
                }
            }
        }
        return new YamlNode.Mapping(mark, Collections.unmodifiableMap(entries));
    }

    private static YamlNode.Mark mark(org.snakeyaml.engine.v2.exceptions.Mark m) {
        return new YamlNode.Mark(m.getLine() + 1, m.getColumn() + 1);
    }
}
