//! SEARCH / UID SEARCH (RFC 3501 §6.4.4) with ESEARCH (RFC 4731), SEARCHRES (RFC 5182) and
//! MODSEQ (RFC 7162), through the `search` engine.

use super::{Exec, HResult, ok, unix_now};
use crate::proto::command::{Search, SearchReturn};
use crate::proto::response::{Code, Data, Response};
use crate::search::{CompileError, SearchError, compile, esearch, search_data};
use crate::session::CommandError;
use eider_model::types::Uid;

pub async fn search(ex: &mut Exec<'_>, tag: &str, s: &Search) -> HResult {
    let query =
        compile(&s.criteria, s.charset.as_deref(), ex.saved.as_deref()).map_err(|e| match e {
            CompileError::BadCharset(_) => CommandError::no(
                Code::BadCharset(vec!["UTF-8".into(), "US-ASCII".into()]),
                "Unsupported charset",
            ),
        })?;
    let store = ex.shared.ctx.store.as_ref();
    let view = ex.view()?;
    let fut: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<_, SearchError>> + Send + '_>,
    > = Box::pin(crate::search::search(store, view, &query, unix_now()));
    let outcome = fut.await.map_err(|e| match e {
        SearchError::Store(e) => super::store_error(e),
        // RFC 5530 §3: LIMIT, the operation exceeds a server limit.
        SearchError::TooLong { max } => CommandError::no(
            Code::Limit,
            &format!("Search string longer than {max} bytes"),
        ),
        SearchError::TimeLimit(_) => CommandError::no(Code::Limit, "Search took too long"),
    })?;
    let Some(returns) = &s.returns else {
        ex.wire.push(&Response::Data(search_data(&outcome, s.uid)));
        return ok("SEARCH completed");
    };
    let has = |r| returns.contains(&r);
    if has(SearchReturn::Save) {
        let uids = outcome.uids();
        // RFC 5182 §2.4: with MIN/MAX but neither ALL nor COUNT, only those are saved.
        let saved: Vec<Uid> = if !has(SearchReturn::All)
            && !has(SearchReturn::Count)
            && (has(SearchReturn::Min) || has(SearchReturn::Max))
        {
            let mut v = Vec::new();
            if has(SearchReturn::Min) {
                v.extend(uids.first().copied());
            }
            if has(SearchReturn::Max) {
                v.extend(uids.last().copied());
            }
            v.dedup();
            v
        } else {
            uids
        };
        *ex.saved = Some(saved);
        if returns.iter().all(|r| *r == SearchReturn::Save) {
            // RFC 5182 §2.2: SAVE alone produces no ESEARCH response.
            return ok("SEARCH completed, result saved");
        }
    }
    let mut e = esearch(&outcome, s.uid, returns);
    e.tag = Some(tag.to_owned());
    ex.wire.push(&Response::Data(Data::Esearch(e)));
    ok("SEARCH completed")
}
