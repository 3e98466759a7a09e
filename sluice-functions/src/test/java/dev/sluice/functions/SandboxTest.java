package dev.sluice.functions;

import static dev.sluice.functions.Messages.insert;
import static dev.sluice.functions.Messages.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.functions.FunctionError.Kind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What code cannot do: escape, change later calls, or run unbounded. Each failure leaves the function usable. */
class SandboxTest {
    private static final byte[] NORMAL = insert("{\"probe\":\"none\",\"id\":7}");

    private static byte[] probe(String name) {
        return insert("{\"probe\":\"" + name + "\"}");
    }

    private static void assertStillWorks(CodeFunction f) throws FunctionError {
        assertThat(text(f.call(NORMAL))).isEqualTo("7");
    }

    @Test
    void escapes_areNotThere() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record) {
                  switch (record.probe) {
                    case 'Java.type': return Java.type('java.lang.System').exit(1);
                    case 'Polyglot.eval': return Polyglot.eval('js', '1');
                    case 'require': return require('fs').readFileSync('/etc/passwd');
                    case 'process.exit': return process.exit(1);
                    case 'fetch': return fetch('http://localhost/');
                    case 'load': return load('x.js');
                    case 'Packages': return Packages.java.lang.System;
                    case 'print': return print('x');
                    case 'Graal': return Graal.versionJS;
                    case 'quit': return quit();
                    case 'import': return import('fs');
                    default: return record.id;
                  }
                }""")) {
            for (String probe : List.of(
                    "Java.type",
                    "Polyglot.eval",
                    "require",
                    "process.exit",
                    "fetch",
                    "load",
                    "Packages",
                    "print",
                    "Graal",
                    "quit")) {
                assertThatThrownBy(() -> f.call(probe(probe)))
                        .as(probe)
                        .isInstanceOfSatisfying(
                                FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.RUNTIME))
                        .hasMessageContaining("ReferenceError");
                assertStillWorks(f);
            }
            // A dynamic import has no file system to read from: it returns a rejected promise, no module.
            assertThat(text(f.call(probe("import")))).isEqualTo("{}");
            assertStillWorks(f);
        }
    }

    @Test
    void escapes_throughTheGlobalObject_findNothing() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform() {
                  const g = new Function('return this')();
                  return [typeof g.Java, typeof g.Polyglot, typeof g.Packages, typeof globalThis.java,
                          typeof eval('this').Java, Object.getOwnPropertyNames(g).filter(n => /java|polyglot|graal/i.test(n))];
                }""")) {
            assertThat(text(f.call(NORMAL)))
                    .isEqualTo("[\"undefined\",\"undefined\",\"undefined\",\"undefined\",\"undefined\",[]]");
        }
    }

    @Test
    void pollution_byOneCall_isNotSeenByTheNext() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record) {
                  if (record.probe === 'pollute') {
                    Object.prototype.polluted = 'yes';
                    Array.prototype.map = function () { return 'evil'; };
                    String.prototype.toUpperCase = function () { return 'evil'; };
                    JSON.stringify = function () { return '"evil"'; };
                    Math.max = function () { return -1; };
                    JSON = null;
                    Object = null;
                    return 'polluted';
                  }
                  return [({}).polluted, [1, 2].map(x => x * 2), 'a'.toUpperCase(), typeof JSON.stringify, Math.max(1, 2),
                          typeof Object.keys];
                }""")) {
            // A single thread gets the same pooled context back, so the second call sees what the first left.
            assertThat(text(f.call(probe("pollute")))).isEqualTo("\"polluted\"");
            assertThat(text(f.call(probe("check")))).isEqualTo("[null,[2,4],\"A\",\"function\",2,\"function\"]");
        }
    }

    @Test
    void pollution_inStrictCode_throws_andChangesNothing() throws Exception {
        try (CodeFunction f = Js.transform("""
                'use strict';
                function transform(action, record) {
                  if (record.probe === 'pollute') {
                    Object.prototype.polluted = 'yes';
                  }
                  return ({}).polluted === undefined;
                }""")) {
            assertThatThrownBy(() -> f.call(probe("pollute")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.RUNTIME))
                    .hasMessageContaining("TypeError");
            assertThat(text(f.call(probe("check")))).isEqualTo("true");
        }
    }

    @Test
    void framing_cannotBeChangedByTheTopLevel() throws Exception {
        // Code may change built-ins at its top level (deterministically, in every context), but not how a message
        // comes in and a result goes out.
        try (CodeFunction f = Js.transform("""
                JSON.parse = function () { return {action: 'forged', record: {id: -1}}; };
                JSON.stringify = function () { return '"forged"'; };
                Reflect.apply = function () { return 'forged'; };
                function transform(action, record) { return {action, id: record.id}; }""")) {
            assertThat(text(f.call(NORMAL))).isEqualTo("{\"action\":\"insert\",\"id\":7}");
        }
    }

    @Test
    void frozenBuiltIns_stillLetObjectsHaveTheirOwnConstructorToStringAndErrorNames() throws Exception {
        try (CodeFunction f = Js.transform("""
                class NotFound extends Error {
                  constructor(what) { super(what + ' not found'); this.name = 'NotFound'; }
                }
                function transform(action, record) {
                  const out = {};
                  for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
                    out[key] = record[key];
                  }
                  const e = new NotFound('row');
                  const err = new TypeError('x');
                  err.message = 'changed';
                  return [out, e.name, String(e), err.message, out.hasOwnProperty === 'h', Object.keys(out).length];
                }""")) {
            byte[] m = insert("{\"constructor\":\"c\",\"toString\":\"t\",\"valueOf\":\"v\",\"hasOwnProperty\":\"h\"}");
            assertThat(text(f.call(m)))
                    .isEqualTo("[{\"constructor\":\"c\",\"toString\":\"t\",\"valueOf\":\"v\",\"hasOwnProperty\":\"h\"},"
                            + "\"NotFound\",\"NotFound: row not found\",\"changed\",true,4]");
        }
    }

    @Test
    void globals_declaredByTheCode_persistAcrossTheCallsOfAContext() throws Exception {
        // Documented, not a feature: which context serves a call is not defined, so code must not rely on it.
        try (CodeFunction f = Js.transform(
                "let calls = 0; function transform() { calls++; globalThis.seen = (globalThis.seen || 0) + 1; "
                        + "return [calls, seen] }")) {
            assertThat(text(f.call(NORMAL))).isEqualTo("[1,1]");
            assertThat(text(f.call(NORMAL))).isEqualTo("[2,2]");
        }
    }

    @Test
    void endlessLoop_isALimit_withinSeconds() throws Exception {
        try (CodeFunction f = Js.transform(
                "function transform(action, record) { if (record.probe === 'loop') { while (true) {} } return record.id }")) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> f.call(probe("loop")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT))
                    .hasMessageStartingWith("function fn ");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertStillWorks(f);
        }
    }

    @Test
    void catastrophicRegex_isStoppedByTheWatchdog() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record) {
                  if (record.probe === 'regex') return /^(a+)+\\1$/.test('a'.repeat(40) + 'b');
                  return record.id;
                }""", Duration.ofMillis(300))) {
            assertThatThrownBy(() -> f.call(probe("regex")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT))
                    .hasMessage("function fn took longer than 300 ms");
            assertStillWorks(f);
        }
    }

    @Test
    void blockingWait_isRefused() throws Exception {
        try (CodeFunction f = Js.transform("""
                function transform(action, record) {
                  if (record.probe === 'wait') return Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
                  return record.id;
                }""")) {
            assertThatThrownBy(() -> f.call(probe("wait")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.RUNTIME))
                    .hasMessage("function fn: line 2, column 39: TypeError: Unsupported operation");
            assertStillWorks(f);
        }
    }

    @Test
    void topLevelLoop_failsTheCompile() {
        assertThatThrownBy(() -> Functions.compile(
                        new FunctionSpec(
                                "slow",
                                null,
                                FunctionType.TRANSFORM,
                                "for (;;) {} function transform() {}",
                                null,
                                null),
                        new Pool.Limits(Duration.ofMillis(200), 1 << 20)))
                .isInstanceOfSatisfying(
                        InvalidFunctionException.class,
                        e -> assertThat(e.problems())
                                .singleElement()
                                .satisfies(p -> assertThat(p.message()).isEqualTo("took longer than 200 ms")));
    }

    @Test
    void output_overTheCap_isALimit() throws Exception {
        try (CodeFunction f = Js.compile(
                FunctionType.TRANSFORM,
                "function transform(action, record) { return record.s.repeat(record.n) }",
                new Pool.Limits(Duration.ofSeconds(1), 100))) {
            assertThat(text(f.call(insert("{\"s\":\"x\",\"n\":98}")))).hasSize(100);
            assertThatThrownBy(() -> f.call(insert("{\"s\":\"x\",\"n\":99}")))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT))
                    .hasMessage("function fn returned 101 characters of JSON; at most 100 bytes are allowed");
            // Under the cap in characters, over it in UTF-8 bytes.
            assertThatThrownBy(() -> f.call(insert("{\"s\":\"é\",\"n\":60}")))
                    .hasMessage("function fn returned 122 bytes of JSON; at most 100 bytes are allowed");
            assertThat(text(f.call(insert("{\"s\":\"x\",\"n\":3}")))).isEqualTo("\"xxx\"");
        }
    }

    @Test
    void output_overTheDefaultCap_isALimit() {
        try (CodeFunction f = Js.transform("function transform() { return 'x'.repeat(1 << 20) }")) {
            assertThatThrownBy(() -> f.call(NORMAL))
                    .isInstanceOfSatisfying(
                            FunctionError.class, e -> assertThat(e.kind()).isEqualTo(Kind.LIMIT))
                    .hasMessageContaining("at most 1048576 bytes");
        }
    }
}
