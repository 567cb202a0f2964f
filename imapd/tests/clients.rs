//! Real IMAP clients against a fresh server: `curl` (list, fetch by UID, append), `mbsync`
//! (isync: pull a mailbox to a maildir, then push a new local message back), and
//! `offlineimap` (sync to a local maildir). Messages must come back byte-exact (maildir tools
//! store LF line ends, so their copies are compared with CRLF → LF applied).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PASS, USER, World};
use eider_model::types::Uid;
use eider_store::content::read_message;
use std::path::{Path, PathBuf};

fn lf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn strip_tuid(b: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(b);
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if !line.starts_with("X-TUID: ") {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

/// Every file under `dir`'s `cur` and `new` folders.
fn maildir_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            out.extend(rd.map(|e| e.unwrap().path()));
        }
    }
    out.sort();
    out
}

/// The stored bytes of every message in `path`, ascending by UID.
async fn server_messages(w: &World, path: &str) -> Vec<Vec<u8>> {
    let id = w.mailbox(path).await;
    let mut out = Vec::new();
    for s in w
        .store
        .list_messages(id, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap()
    {
        let m = w.store.get_message(id, s.uid).await.unwrap().unwrap();
        let bytes = read_message(w.store.as_ref(), &m.segments).await.unwrap();
        assert_eq!(
            bytes.len() as u64,
            s.size,
            "RFC822.SIZE differs from the bytes"
        );
        out.push(bytes);
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn curl_list_fetch_append() {
    if !eider_tests::require("curl", eider_tests::have_command("curl")) {
        return;
    }
    let w = World::start().await;
    let msg = common::sample_message(7);
    w.deliver("INBOX", &msg).await;
    let base = format!("imap://127.0.0.1:{}", w.port());
    let user = format!("{USER}:{PASS}");
    let list = w
        .run_tool("curl", &["-sS", "--user", &user, &format!("{base}/")], &[])
        .await;
    assert!(
        list.contains("\"/\" INBOX") && list.contains("\\Sent"),
        "{list}"
    );
    let out = w
        .run_tool(
            "curl",
            &["-sS", "--user", &user, &format!("{base}/INBOX;UID=1")],
            &[],
        )
        .await;
    assert_eq!(out.as_bytes(), &msg[..], "curl fetched different bytes");
    // Upload a message with -T.
    let upload = w.dir.path().join("upload.eml");
    let new = b"From: curl@example.org\r\nSubject: uploaded\r\n\r\nvia curl -T\r\n";
    std::fs::write(&upload, new).unwrap();
    w.run_tool(
        "curl",
        &[
            "-sS",
            "--user",
            &user,
            "-T",
            upload.to_str().unwrap(),
            &format!("{base}/Drafts"),
        ],
        &[],
    )
    .await;
    assert_eq!(server_messages(&w, "Drafts").await, vec![new.to_vec()]);
    let search = w
        .run_tool(
            "curl",
            &[
                "-sS",
                "--user",
                &user,
                &format!("{base}/INBOX?SUBJECT%20%22Test%207%22"),
            ],
            &[],
        )
        .await;
    assert!(search.contains("SEARCH 1"), "{search}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mbsync_pulls_and_pushes() {
    if !eider_tests::require("mbsync", eider_tests::have_command("mbsync")) {
        return;
    }
    let w = World::start().await;
    let sent: Vec<Vec<u8>> = (1..=3).map(common::sample_message).collect();
    for m in &sent {
        w.deliver("INBOX", m).await;
    }
    let root = w.dir.path().join("mbsync");
    let mail = root.join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    let config = root.join("mbsyncrc");
    std::fs::write(
        &config,
        format!(
            "IMAPAccount eider\nHost 127.0.0.1\nPort {port}\nUser {USER}\nPass {PASS}\n\
SSLType None\nAuthMechs LOGIN PLAIN\n\n\
IMAPStore remote\nAccount eider\n\n\
MaildirStore local\nPath {mail}/\nInbox {mail}/INBOX\nSubFolders Verbatim\n\n\
Channel sync\nFar :remote:\nNear :local:\nPatterns INBOX Archive\nCreate Both\n\
SyncState *\nSync All\nExpunge Both\n",
            port = w.port(),
            mail = mail.display()
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    w.run_tool("mbsync", &["-c", cfg, "-a"], &[]).await;
    // Pull: the three messages arrive unchanged (modulo maildir's LF line ends).
    let files = maildir_files(&mail.join("INBOX"));
    // mbsync tags what it stores with an `X-TUID:` header (its own bookkeeping).
    let mut local: Vec<Vec<u8>> = files
        .iter()
        .map(|f| strip_tuid(&std::fs::read(f).unwrap()))
        .collect();
    local.sort();
    let mut want: Vec<Vec<u8>> = sent.iter().map(|m| lf(m)).collect();
    want.sort();
    assert_eq!(local.len(), 3, "{files:?}");
    assert!(
        local == want,
        "pulled messages differ:\n{}\n---\n{}",
        String::from_utf8_lossy(&local[0]),
        String::from_utf8_lossy(&want[0])
    );
    // Push: a new local message reaches the server byte-exact (with CRLF line ends).
    let new_lf = b"From: local@example.org\nTo: alice@example.org\nSubject: written offline\nMessage-ID: <offline@example.org>\n\nHello from the maildir\n";
    std::fs::write(mail.join("INBOX/new/1700000000.P1Q1.localhost"), new_lf).unwrap();
    w.run_tool("mbsync", &["-c", cfg, "-a"], &[]).await;
    let server = server_messages(&w, "INBOX").await;
    assert_eq!(server.len(), 4);
    // mbsync inserts its `X-TUID:` header into what it uploads; the rest must be exact.
    let pushed = &strip_tuid(&server[3]);
    assert!(
        server[3].windows(8).any(|w| w == b"X-TUID: "),
        "expected mbsync's tag"
    );
    let want_crlf: Vec<u8> = String::from_utf8_lossy(new_lf)
        .replace('\n', "\r\n")
        .into_bytes();
    assert!(
        *pushed == want_crlf,
        "pushed message differs:\n{}",
        String::from_utf8_lossy(pushed)
    );
    // Flags travel too: mark a message seen locally (maildir "S"), sync, check the server.
    let first = maildir_files(&mail.join("INBOX"))
        .into_iter()
        .next()
        .expect("a pulled message");
    let name = first.file_name().unwrap().to_str().unwrap().to_owned();
    let seen = match name.split_once(":2,") {
        Some((base, flags)) => format!("{base}:2,{flags}S"),
        None => format!("{name}:2,S"),
    };
    std::fs::rename(&first, mail.join("INBOX/cur").join(seen)).unwrap();
    w.run_tool("mbsync", &["-c", cfg, "-a"], &[]).await;
    let id = w.mailbox("INBOX").await;
    let seen_count = w
        .store
        .list_messages(id, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap()
        .iter()
        .filter(|s| s.flags.seen())
        .count();
    assert_eq!(seen_count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn offlineimap_syncs_to_maildir() {
    if !eider_tests::require("offlineimap", eider_tests::have_command("offlineimap")) {
        return;
    }
    let w = World::start().await;
    let sent: Vec<Vec<u8>> = (1..=4).map(common::sample_message).collect();
    for m in &sent {
        w.deliver("INBOX", m).await;
    }
    w.deliver("Archive", &common::sample_message(9)).await;
    let root = w.dir.path().join("oimap");
    std::fs::create_dir_all(root.join("mail")).unwrap();
    let config = root.join("offlineimaprc");
    std::fs::write(
        &config,
        format!(
            "[general]\naccounts = test\nmetadata = {root}/meta\n\n\
[Account test]\nlocalrepository = local\nremoterepository = remote\n\n\
[Repository local]\ntype = Maildir\nlocalfolders = {root}/mail\n\n\
[Repository remote]\ntype = IMAP\nremotehost = 127.0.0.1\nremoteport = {port}\n\
remoteuser = {USER}\nremotepass = {PASS}\nssl = no\nstarttls = no\n",
            root = root.display(),
            port = w.port()
        ),
    )
    .unwrap();
    w.run_tool(
        "offlineimap",
        &["-c", config.to_str().unwrap(), "-o", "-u", "basic"],
        &[],
    )
    .await;
    let inbox = maildir_files(&root.join("mail/INBOX"));
    let mut local: Vec<Vec<u8>> = inbox
        .iter()
        .map(|f| lf(&std::fs::read(f).unwrap()))
        .collect();
    local.sort();
    let mut want: Vec<Vec<u8>> = sent.iter().map(|m| lf(m)).collect();
    want.sort();
    assert_eq!(local.len(), 4, "{inbox:?}");
    assert!(local == want, "offlineimap copies differ");
    assert_eq!(maildir_files(&root.join("mail/Archive")).len(), 1);
}
