package dev.sluice.server.config;

import java.util.ArrayList;
import java.util.List;

/** Collects problems while a file is read, so that one run reports all of them. */
final class Problems {
    private final String source;
    private final List<ConfigException.Problem> list = new ArrayList<>();

    Problems(String source) {
        this.source = source;
    }

    String source() {
        return source;
    }

    void add(YamlNode.Mark mark, String path, String message) {
        // A value merged in through '<<' is read twice; report its problems once.
        for (ConfigException.Problem p : list) {
            if (p.line() == mark.line()
                    && p.column() == mark.column()
                    && p.message().equals(message)
                    // Trees from JSON carry no positions: there the path tells problems apart.
                    && (mark.line() > 0 || p.path().equals(path))) {
                return;
            }
        }
        list.add(new ConfigException.Problem(source, mark.line(), mark.column(), path, message));
    }

    int count() {
        return list.size();
    }

    void throwIfAny() {
        if (!list.isEmpty()) {
            throw new ConfigException(list);
        }
    }

    static ConfigException single(String source, String message) {
        return new ConfigException(List.of(new ConfigException.Problem(source, 0, 0, "", message)));
    }
}
