//! What the command line needs of a server store, beyond what `PersistBase` offers: the
//! namespaces (directories of the file layout) on a server, and the exact JSON text of every
//! document of one, writing exact text, and a URL shown as the stores show it. Internal
//! (`__`-named, untyped): `cli/` uses them.

use backtest_persist_core::redact::redact_url;
use backtest_persist_core::store::{check_store_url, server_namespaces, ServerStore};
use backtest_persist_core::{Cause, PersistError, Store};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::promise::{reject, settle, undefined, JsPromise};

/// How many documents one read of a namespace's texts asks for (one `HMGET`, one `SELECT`).
const WINDOW_IDS: usize = 512;

fn checked(url: &str) -> std::result::Result<(), PersistError> {
    check_store_url(url).map_err(|message| PersistError::Keys {
        entity: String::new(),
        cause: Cause::Coded { code: "STORE_FAILED", message },
    })
}

/// The namespaces on the server at `url` that are `prefix` or under it, sorted.
#[napi(js_name = "__storeNamespaces", skip_typescript)]
pub fn store_namespaces<'env>(env: &'env Env, url: String, prefix: String) -> Result<JsPromise<'env>> {
    if let Err(error) = checked(&url) {
        return reject(env, error);
    }
    settle(env, async move { server_namespaces(&url, &prefix).await }, |env, namespaces| {
        Ok(namespaces.into_unknown(env)?)
    })
}

/// `[id, text]` for every document of `namespace`, ids in key order.
#[napi(js_name = "__storeDocuments", skip_typescript)]
pub fn store_documents<'env>(env: &'env Env, url: String, namespace: String) -> Result<JsPromise<'env>> {
    if let Err(error) = checked(&url) {
        return reject(env, error);
    }
    let store = ServerStore::for_namespace(&url, &namespace);
    let read = async move {
        let mut documents = Vec::new();
        let mut ids = store.keys().await?.into_iter().peekable();
        while ids.peek().is_some() {
            let window: Vec<String> = ids.by_ref().take(WINDOW_IDS).collect();
            // With no byte limit, every text asked for (a document removed meanwhile fails it).
            let texts = store.read_window(window.clone(), usize::MAX).await?;
            documents.extend(window.into_iter().zip(texts).map(|(id, text)| vec![id, text]));
        }
        Ok(documents)
    };
    settle(env, read, |env, documents| Ok(documents.into_unknown(env)?))
}

/// Writes `text` (JSON the caller checked) as document `id` of `namespace`, durably as every
/// server store write is.
#[napi(js_name = "__storeWrite", skip_typescript)]
pub fn store_write<'env>(
    env: &'env Env,
    url: String,
    namespace: String,
    id: String,
    text: String,
) -> Result<JsPromise<'env>> {
    if let Err(error) = checked(&url) {
        return reject(env, error);
    }
    let store = ServerStore::for_namespace(&url, &namespace);
    let write = async move {
        store.init(true).await?;
        store.write(&id, text.into_bytes()).await
    };
    settle(env, write, |env, ()| undefined(env))
}

/// Empties the write-ahead log of every SQLite file this process wrote into the file itself
/// (`binding.js` calls it when the process exits): the `.db` file alone is then a full copy.
#[napi(js_name = "__checkpointSqlite", skip_typescript)]
pub fn checkpoint_sqlite() -> u32 {
    backtest_persist_core::store::checkpoint_sqlite_files() as u32
}

/// The integrity of the store at `url`: for a SQLite database file, `PRAGMA integrity_check`
/// (`"ok"`, or SQLite's findings); `"ok"` for a server (it keeps its own).
#[napi(js_name = "__storeIntegrity", skip_typescript)]
pub fn store_integrity<'env>(env: &'env Env, url: String) -> Result<JsPromise<'env>> {
    if let Err(error) = checked(&url) {
        return reject(env, error);
    }
    let check = async move {
        if url.starts_with("sqlite:") {
            backtest_persist_core::store::sqlite_integrity(&url).await
        } else {
            Ok("ok".to_string())
        }
    };
    settle(env, check, |env, report| Ok(report.into_unknown(env)?))
}

/// The PostgreSQL table's `document` column at `url`: `{ documentType, converted }`
/// (`documentType` null when there is no table); with `convert`, a `text` column becomes `json`.
#[napi(js_name = "__storeSchema", skip_typescript)]
pub fn store_schema<'env>(env: &'env Env, url: String, convert: bool) -> Result<JsPromise<'env>> {
    if let Err(error) = checked(&url) {
        return reject(env, error);
    }
    let schema = async move { backtest_persist_core::store::pg_table_schema(&url, convert).await };
    settle(env, schema, |env, schema| {
        let mut object = Object::new(env)?;
        object.set("documentType", schema.document_type)?;
        object.set("converted", schema.converted)?;
        Ok(object.into_unknown(env)?)
    })
}

/// `url` with its passwords replaced by `***`, as every store error names it: the command line
/// shows URLs through this, so it hides exactly what the stores hide.
#[napi(js_name = "__redactUrl", skip_typescript)]
pub fn redact(url: String) -> String {
    redact_url(&url)
}
