//! The process's candle cache (`backtest_persist_core::document_cache`) as the 19.5.0 surface
//! sets it: `setCandleCacheLimit` and `clearCandleCache` wrap these in `v19/index.js`.

use backtest_persist_core::document_cache::document_cache;
use napi_derive::napi;

/// Sets the cache's byte limit (0 turns it off); resolves the limit in force.
#[napi(js_name = "__candleCacheLimit", skip_typescript)]
pub fn candle_cache_limit(bytes: Option<f64>) -> f64 {
    if let Some(bytes) = bytes {
        document_cache().set_limit(bytes as usize);
    }
    document_cache().limit() as f64
}

/// Bytes the cache holds now.
#[napi(js_name = "__candleCacheBytes", skip_typescript)]
pub fn candle_cache_bytes() -> f64 {
    document_cache().bytes() as f64
}

/// Forgets every cached candle.
#[napi(js_name = "__clearCandleCache", skip_typescript)]
pub fn clear_candle_cache() {
    document_cache().clear();
}
