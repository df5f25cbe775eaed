// Calls or constructs `target` and reports a throw as a value instead of an exception: an
// adapter may throw anything, including primitives that N-API cannot hold a reference to on
// every Node version. Installed once per JS environment by the addon's module init.
(function guardedCall(construct, target, thisArg, args) {
  "use strict";
  try {
    return { threw: false, value: construct ? Reflect.construct(target, args) : Reflect.apply(target, thisArg, args) };
  } catch (error) {
    return { threw: true, value: error };
  }
});
//# sourceURL=@backtest-kit/persist/guarded-call.js
