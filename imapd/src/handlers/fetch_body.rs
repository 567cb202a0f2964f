//! Writing one body-section FETCH item (RFC 3501 §6.4.5 `BODY[...]`, `RFC822*`): plain byte
//! ranges are streamed in windows straight from the blob chunks (`content::MessageReader`), so a
//! 50 MB `BODY[]` is never held whole; header-field selections are small and built in memory.
//!
//! Invariant: the literal length announced is exactly the number of bytes written after it;
//! if reading fails half-way the connection is dropped (the response cannot be completed).

use super::Failure;
use crate::conn::wire::Wire;
use crate::fetch::{FetchError, Plan, plan, read_plan, section_of};
use crate::proto::command::FetchAttr;
use crate::proto::response::{FetchItem, FetchWriter, SectionName};
use crate::session::CommandError;
use eider_model::StoredMessage;
use eider_store::MailStore;
use eider_store::content::MessageReader;

/// Window read from the store per write.
const WINDOW: u64 = 256 * 1024;

fn name_of(attr: &FetchAttr) -> Option<SectionName> {
    Some(match attr {
        FetchAttr::Rfc822 => SectionName::Rfc822,
        FetchAttr::Rfc822Header => SectionName::Rfc822Header,
        FetchAttr::Rfc822Text => SectionName::Rfc822Text,
        FetchAttr::BodySection {
            section, partial, ..
        } => SectionName::Body {
            section: section.clone(),
            origin: partial.map(|p| p.0),
        },
        _ => return None,
    })
}

fn broken(e: impl std::fmt::Display) -> Failure {
    Failure::Io(std::io::Error::other(e.to_string()))
}

/// Writes `attr`'s section of `msg` into the response `w` is writing.
pub async fn write_section(
    wire: &mut Wire,
    w: &mut FetchWriter,
    store: &dyn MailStore,
    msg: &StoredMessage,
    attr: &FetchAttr,
) -> Result<(), Failure> {
    let (Some((section, partial)), Some(name)) = (section_of(attr), name_of(attr)) else {
        return Err(CommandError::Bad("not a body section".into()).into());
    };
    match plan(&msg.meta.root, msg.summary.size, &section, partial) {
        Err(FetchError::NoSuchPart | FetchError::NotMessage) => {
            // RFC 3501 leaves a missing part open; like Dovecot (the reference) we answer an
            // empty string, which every client parses (some choke on NIL).
            w.item(
                &mut wire.buf,
                &FetchItem::Section {
                    name,
                    data: Some(&[]),
                },
            );
            Ok(())
        }
        Err(FetchError::Store(e)) => Err(e.into()),
        Ok(Plan::Range { start, len }) => {
            let mut reader = MessageReader::new(store, &msg.segments)
                .range(start, len)
                .window(WINDOW);
            w.section_prefix(&mut wire.buf, &name, reader.remaining(), false);
            // From here on the literal is promised: any failure must end the connection.
            while let Some(window) = reader.next_window().await.map_err(broken)? {
                wire.buf.extend_from_slice(&window);
                wire.flush_if_full().await?;
            }
            Ok(())
        }
        Ok(p) => {
            let data = read_plan(store, msg, &p).await.map_err(|e| match e {
                FetchError::Store(e) => Failure::from(e),
                other => broken(other),
            })?;
            w.item(
                &mut wire.buf,
                &FetchItem::Section {
                    name,
                    data: Some(&data),
                },
            );
            Ok(())
        }
    }
}
