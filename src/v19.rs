//! The native steps of the backtest-kit 19.5.0 Instances (`v19/`): each does the whole store work
//! of one Instance method in one call off the JS thread, on the store of a `PersistBase`: its
//! files, or its server (one `HMGET` / `SELECT` for a range, writes issued at once for a batch).
//! They are private to the package: `main.js` and `v19/index.js` export none of them.

use backtest_persist_core::json::array_elements;
use backtest_persist_core::store::{Range, RangeScan};
use backtest_persist_core::{PersistError, Store};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::boundary;
use crate::entity::{parse_document, stringify};
use crate::file_task::spawn_file_task;
use crate::persist_base::PersistBase;
use crate::promise::{reject, settle, undefined, JsPromise, Rejection};

/// `hasValue(id) ? readValue(id) : undefined`, as one libuv work item.
#[napi(js_name = "__v19ReadOptional", skip_typescript)]
pub fn read_optional<'env>(env: &'env Env, persist: &PersistBase, id: Unknown) -> Result<JsPromise<'env>> {
    let store = persist.store.clone();
    let entity = store.entity_name().to_string();
    let id = match crate::entity::entity_id(&entity, id) {
        Ok(id) => id,
        Err(error) => return reject(env, error),
    };
    let read_id = id.clone();
    match persist.server.clone() {
        Some(server) => {
            settle(env, server.read_optional(&read_id), move |env, text| optional_to_js(env, &entity, &id, text))
        }
        None => spawn_file_task(
            env,
            move || store.read_optional_now(&read_id),
            move |env, text| optional_to_js(env, &entity, &id, text),
        ),
    }
}

/// The parsed document, or `undefined` when there is none.
fn optional_to_js<'env>(
    env: &'env Env,
    entity: &str,
    id: &str,
    text: Option<String>,
) -> std::result::Result<Unknown<'env>, Rejection> {
    match text {
        Some(text) => parse_document(env, entity, id, &text),
        None => undefined(env),
    }
}

/// `count` candles (`Infinity`: until one is missing) from `since`, `step` apart, named as
/// `String(since + i * step)` names them (the caller passes integers, so the names are the
/// integers' digits): `null` when one is missing, else the text of a JSON array of them all
/// (each checked to be one JSON value, so one `JSON.parse` builds them), or `[index, text]` for
/// the first that does not parse. Read a window at a time off the JS thread: a miss costs the
/// window it is in, never the whole range.
#[napi(js_name = "__v19ReadCandles", skip_typescript)]
pub fn read_candles<'env>(
    env: &'env Env,
    persist: &PersistBase,
    since: f64,
    step: f64,
    count: f64,
) -> Result<JsPromise<'env>> {
    // Beyond what an index can reach, a count is as unbounded as `Infinity`.
    let count = (count.is_finite() && count < usize::MAX as f64).then_some(count.max(0.0) as usize);
    let scan = RangeScan::new(move |index| candle_id(since, step, index), count);
    match persist.server.clone() {
        Some(server) => settle(env, async move { server.read_range(scan).await }, range_to_js),
        None => {
            let store = persist.store.clone();
            spawn_file_task(env, move || store.read_range_now(scan), range_to_js)
        }
    }
}

/// The same candles from this process's cache, as the text of a JSON array, or `null` when one
/// of them is not cached (then `__v19ReadCandles` reads them): synchronous, no thread hop.
#[napi(js_name = "__v19CachedCandles", skip_typescript)]
pub fn cached_candles(persist: &PersistBase, since: f64, step: f64, count: f64) -> Option<String> {
    if !count.is_finite() || count < 1.0 {
        return None;
    }
    let ids = (0..count as usize).map(move |index| candle_id(since, step, index));
    match &persist.server {
        Some(server) => server.cached_run(ids),
        None => persist.store.cached_run(ids),
    }
}

/// The id of the `index`th candle from `since`, `step` apart: `String(since + index * step)`
/// of integers.
fn candle_id(since: f64, step: f64, index: usize) -> String {
    format!("{}", (since + index as f64 * step) as i128)
}

fn range_to_js(env: &Env, range: Range) -> std::result::Result<Unknown<'_>, Rejection> {
    match range {
        Range::Missing => Ok(Null.into_unknown(env)?),
        Range::Whole(texts) => Ok(env.create_string(format!("[{}]", texts.join(",")))?.to_unknown()),
        Range::Invalid { index, text } => {
            let mut pair = env.create_array(2)?;
            pair.set(0, index as f64)?;
            pair.set(1, text)?;
            Ok(pair.to_unknown())
        }
    }
}

/// Every document as `[ids, values, needsEngineSort]`, in the native key order.
#[napi(js_name = "__v19ReadAll", skip_typescript)]
pub fn read_all<'env>(env: &'env Env, persist: &PersistBase) -> Result<JsPromise<'env>> {
    let store = persist.store.clone();
    let server = persist.server.clone();
    let entity = store.entity_name().to_string();
    let read = async move {
        match server {
            Some(server) => server.read_all().await,
            None => store.read_all().await,
        }
    };
    settle(env, read, move |env, documents| {
        let needs_engine_sort = boundary::needs_engine_sort(documents.iter().map(|(id, _)| id.as_str()));
        let mut ids = env.create_array(documents.len() as u32)?;
        let mut values = env.create_array(documents.len() as u32)?;
        for (index, (id, text)) in documents.iter().enumerate() {
            ids.set(index as u32, id.as_str())?;
            let value = parse_document(env, &entity, id, text)?;
            values.set(index as u32, value)?;
        }
        let mut result = env.create_array(3)?;
        result.set(0, ids)?;
        result.set(1, values)?;
        result.set(2, needs_engine_sort)?;
        Ok(result.to_unknown())
    })
}

/// Writes `values[i]` under `ids[i]` as one durable batch; with `onlyMissing`, existing ids are
/// left alone. Resolves with the number written.
#[napi(js_name = "__v19WriteBatch", skip_typescript)]
pub fn write_batch<'env>(
    env: &'env Env,
    persist: &PersistBase,
    ids: Vec<String>,
    values: Vec<Unknown>,
    only_missing: bool,
) -> Result<JsPromise<'env>> {
    let entity = persist.store.entity_name().to_string();
    let mut documents = Vec::with_capacity(ids.len());
    for (id, value) in ids.into_iter().zip(values) {
        match stringify(env, value) {
            Ok(json) => documents.push((id, json)),
            Err(reason) => return reject(env, PersistError::InvalidEntity { entity, id, reason }),
        }
    }
    settle_batch(env, persist, documents, only_missing)
}

/// [`write_batch`] from `JSON.stringify(values)`, made in one call on the JS side instead of one
/// per value: the array's elements are split out as the exact texts they have in it. `null` (and
/// nothing written) when `text` is not an array of one element per id, or an element is `null`
/// (a value whose `toJSON` gave nothing): the caller then takes `__v19WriteBatch`, which refuses
/// such a value as the reference does.
#[napi(js_name = "__v19WriteBatchText", skip_typescript)]
pub fn write_batch_text<'env>(
    env: &'env Env,
    persist: &PersistBase,
    ids: Vec<String>,
    text: String,
    only_missing: bool,
) -> Result<Unknown<'env>> {
    let Some(elements) = array_elements(&text).filter(|elements| elements.len() == ids.len()) else {
        return Null.into_unknown(env);
    };
    if elements.contains(&"null") {
        return Null.into_unknown(env);
    }
    let documents: Vec<(String, Vec<u8>)> =
        ids.into_iter().zip(elements).map(|(id, element)| (id, element.as_bytes().to_vec())).collect();
    settle_batch(env, persist, documents, only_missing)
}

/// `documents` written as one batch on `persist`'s store; resolves with the number written.
fn settle_batch<'env>(
    env: &'env Env,
    persist: &PersistBase,
    documents: Vec<(String, Vec<u8>)>,
    only_missing: bool,
) -> Result<JsPromise<'env>> {
    match &persist.server {
        Some(server) => settle(env, server.write_batch(documents, only_missing), count_to_js),
        None => settle(env, persist.store.write_batch(documents, only_missing), count_to_js),
    }
}

fn count_to_js(env: &Env, ids: Vec<String>) -> std::result::Result<Unknown<'_>, Rejection> {
    Ok((ids.len() as f64).into_unknown(env)?)
}
