// Evaluated in every function's context before the user's code. It returns {bind, lockdown} to Java only; user
// code never sees it.
// - bind captures, before user code can touch them, the intrinsics that frame a call (JSON.parse of the message,
//   JSON.stringify of the result, Reflect.apply), so replacing JSON or prototypes cannot change the framing.
// - lockdown, run after the user's top level, freezes the built-ins, so a call cannot change what later calls in
//   the same (pooled) context see. The user's own globals stay writable.
(function () {
    'use strict';
    const global = globalThis;
    const parse = JSON.parse, stringify = JSON.stringify, apply = Reflect.apply, ownKeys = Reflect.ownKeys;
    const isArray = Array.isArray, getPrototypeOf = Object.getPrototypeOf, freeze = Object.freeze;
    const defineProperty = Object.defineProperty, getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
    const ObjectPrototype = Object.prototype, slice = String.prototype.slice, push = Array.prototype.push;
    const pop = Array.prototype.pop, SetConstructor = Set, setHas = Set.prototype.has, setAdd = Set.prototype.add;
    const TypeErrorConstructor = TypeError, ProxyConstructor = Proxy;
    const globalNames = Object.getOwnPropertyNames(global);
    // Intrinsics that no global property leads to.
    const hidden = [
        getPrototypeOf(function* () {}),
        getPrototypeOf(async function () {}),
        getPrototypeOf(async function* () {}),
        getPrototypeOf([][Symbol.iterator]()),
        getPrototypeOf(''[Symbol.iterator]()),
        getPrototypeOf(new Map()[Symbol.iterator]()),
        getPrototypeOf(new Set()[Symbol.iterator]()),
        getPrototypeOf(/a/[Symbol.matchAll]('a')),
    ];
    const TRANSFORM = 0, ROUTE = 1, FILTER = 2;

    function preview(v) {
        let s;
        try {
            s = stringify(v);
        } catch (e) {
            s = undefined;
        }
        if (s === undefined) {
            s = typeof v;
        }
        return s.length > 100 ? apply(slice, s, [0, 100]) + '...' : s;
    }

    function kindOf(v) {
        if (v === null || v === undefined) {
            return String(v);
        }
        if (isArray(v)) {
            return 'an array';
        }
        if (typeof v !== 'object') {
            return 'a ' + typeof v;
        }
        const c = getOwnPropertyDescriptor(getPrototypeOf(v), 'constructor');
        return 'a ' + (c && typeof c.value === 'function' && c.value.name ? c.value.name : 'object with a prototype');
    }

    function isPlainObject(v) {
        if (v === null || typeof v !== 'object' || isArray(v)) {
            return false;
        }
        const p = getPrototypeOf(v);
        return p === ObjectPrototype || p === null;
    }

    // The message's metadata, parsed when a function first touches it: most functions read only the record. The
    // proxy answers every operation from the parsed object, so the function sees an ordinary object. onLoad runs on
    // the first parse.
    function lazy(text, onLoad) {
        let value;
        const load = () => {
            if (value === undefined) {
                value = parse(text);
                onLoad();
            }
            return value;
        };
        return new ProxyConstructor({}, {
            get: (t, k) => load()[k],
            has: (t, k) => k in load(),
            ownKeys: () => ownKeys(load()),
            getOwnPropertyDescriptor: (t, k) => {
                const d = getOwnPropertyDescriptor(load(), k);
                if (d) {
                    d.configurable = true; // a proxy may not report a non-configurable property its target lacks
                }
                return d;
            },
            set: (t, k, v) => {
                load()[k] = v;
                return true;
            },
            defineProperty: (t, k, d) => {
                defineProperty(load(), k, d);
                return true;
            },
            deleteProperty: (t, k) => delete load()[k],
            getPrototypeOf: () => getPrototypeOf(load()),
        });
    }

    // The call of one function, or of a sink's filter, route and transform in that order on one parse of the message:
    // pairs are (mode, function). invoke takes the message's JSON text (its metadata null) and the metadata's text,
    // and returns false when a filter rejects the message, true when the only function is a filter that passes, else
    // the JSON text of each route and transform result joined by a newline (JSON.stringify writes none), or
    // [kind, index, detail] when a result is not allowed. stage() is the index of the function last called, for
    // errors thrown out of it.
    // Metadata is parsed lazily until a call reads it, then eagerly: a function that reads it once usually reads it
    // every time, and the proxy costs more than the parse. readsMetadata() tells Java, which then passes the message
    // whole (metadataText 'null') to skip splitting it.
    function bind(maxChars, ...pairs) {
        const modes = [], fns = [];
        for (let i = 0; i < pairs.length; i += 2) {
            apply(push, modes, [pairs[i]]);
            apply(push, fns, [pairs[i + 1]]);
        }
        const n = fns.length;
        let stage = -1, eager = false;
        const wanted = () => {
            eager = true;
        };
        function invoke(input, metadataText) {
            const m = parse(input);
            const metadata = metadataText === 'null' ? m.metadata : eager ? parse(metadataText) : lazy(metadataText, wanted);
            const args = [m.action, m.record, m.changes, metadata];
            let out;
            for (let i = 0; i < n; i++) {
                stage = i;
                const r = apply(fns[i], undefined, args);
                const mode = modes[i];
                if (mode === FILTER) {
                    if (r === false) {
                        return false;
                    }
                    if (r !== true) {
                        return ['RESULT', i, 'filter must return true or false, got ' + preview(r)];
                    }
                    if (n === 1) {
                        return true;
                    }
                    continue;
                }
                if (mode === ROUTE && !isPlainObject(r)) {
                    return ['RESULT', i, 'route must return an object, got ' + kindOf(r)];
                }
                let s = stringify(r);
                if (s === undefined) {
                    s = 'null';
                }
                if (s.length > maxChars) {
                    return ['LIMIT', i, s.length];
                }
                out = out === undefined ? s : out + '\n' + s;
            }
            return out;
        }
        return {invoke, stage: () => stage, readsMetadata: () => eager};
    }

    // Frozen, these properties could no longer be assigned on ordinary objects (the "override mistake"): a record
    // copied key by key with a column named "constructor", an error given a name. As accessors, assigning them
    // defines the property on the object itself, as it did before the freeze.
    function enableOverride(proto, name) {
        const d = getOwnPropertyDescriptor(proto, name);
        if (!d || !('value' in d)) {
            return;
        }
        const value = d.value;
        defineProperty(proto, name, {
            get() {
                return value;
            },
            set(v) {
                if (this === proto) {
                    throw new TypeErrorConstructor('Cannot assign to read only property \'' + String(name) + '\'');
                }
                defineProperty(this, name, {value: v, writable: true, enumerable: true, configurable: true});
            },
            enumerable: d.enumerable,
            configurable: false,
        });
    }

    function lockdown() {
        for (const name of ownKeys(ObjectPrototype)) {
            enableOverride(ObjectPrototype, name);
        }
        for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError]) {
            for (const name of ['constructor', 'name', 'message', 'toString']) {
                enableOverride(E.prototype, name);
            }
        }
        for (const proto of [Function.prototype, Array.prototype]) {
            enableOverride(proto, 'constructor');
            enableOverride(proto, 'toString');
        }
        const stack = [], seen = new SetConstructor();
        for (const name of globalNames) {
            apply(push, stack, [global[name]]);
        }
        for (const h of hidden) {
            apply(push, stack, [h]);
        }
        while (stack.length > 0) {
            const o = apply(pop, stack, []);
            if (o === null || (typeof o !== 'object' && typeof o !== 'function') || o === global || apply(setHas, seen, [o])) {
                continue;
            }
            apply(setAdd, seen, [o]);
            freeze(o);
            apply(push, stack, [getPrototypeOf(o)]);
            for (const key of ownKeys(o)) {
                const d = getOwnPropertyDescriptor(o, key);
                if ('value' in d) {
                    apply(push, stack, [d.value]);
                } else {
                    apply(push, stack, [d.get, d.set]);
                }
            }
        }
        for (const name of globalNames) {
            const d = getOwnPropertyDescriptor(global, name);
            if (d && d.configurable && 'value' in d) {
                defineProperty(global, name, {writable: false, configurable: false});
            }
        }
    }

    return {bind, lockdown};
})();
