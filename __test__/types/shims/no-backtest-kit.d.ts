// A backtest-kit that declares none of the names `/v19` imports: the stand-in for a project
// without backtest-kit (tsconfig.no-backtest-kit.json maps `backtest-kit` here). `/v19`'s row
// types must then fall back to its structural types, without an error.
export {};
