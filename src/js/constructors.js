// The native classes are called only with `new`: napi-rs would otherwise wrap whatever `this` the
// call had (the exports object itself, for `exports.PersistBase("x")`) and hand it back. Each
// exported class is replaced by a Proxy of it that throws for a plain call what the engine throws
// for a JS class, and is the class in every other way (`new`, `extends`, `instanceof`,
// `prototype`, `name`, and `prototype.constructor`, which names the Proxy). Installed once per JS
// environment by the addon's module init.
(function guardConstructors(exports, names) {
  "use strict";
  const TypeErrorCtor = TypeError;
  for (const name of names) {
    const guarded = new Proxy(exports[name], {
      apply() {
        throw new TypeErrorCtor(`Class constructor ${name} cannot be invoked without 'new'`);
      },
    });
    Object.defineProperty(guarded.prototype, "constructor", { value: guarded, writable: true, configurable: true, enumerable: false });
    exports[name] = guarded;
  }
});
//# sourceURL=@backtest-kit/persist/constructors.js
