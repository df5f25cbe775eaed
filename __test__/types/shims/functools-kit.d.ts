// functools-kit as backtest-kit 19.5.0 declares it (its dependency is functools-kit ^5, whose
// `ISingleshotClearable` takes a type argument). This repository pins functools-kit 1.0.95 for
// backtest-kit's run time (package.json `overrides`), and under `skipLibCheck: false` that pin
// alone gives 42 TS2315 errors inside backtest-kit's own types.d.ts, with or without this package.
// The type tests map `functools-kit` here: everything is the installed version's, except this
// one interface, declared generic.
export * from "../../../node_modules/functools-kit/types.js";
export interface ISingleshotClearable<T = unknown> {
  clear: () => void;
  hasValue: () => boolean;
}
