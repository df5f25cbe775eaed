// Each registry singleton is an object of functions that work detached (the binding's
// namespaces); in the reference it is `new PersistXUtils()`. Its prototype is set to the class's,
// so that `instanceof`, `constructor` and prototype reads see what they see in the reference.
// Installed once per JS environment by the addon's module init.
(function linkSingletons(exports, pairs) {
  "use strict";
  for (const [singleton, className] of pairs) {
    Object.setPrototypeOf(exports[singleton], exports[className].prototype);
  }
});
//# sourceURL=@backtest-kit/persist/singletons.js
