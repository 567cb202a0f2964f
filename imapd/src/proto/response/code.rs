//! Response codes (RFC 3501 §7.1, RFC 5530, RFC 4315 UIDPLUS, RFC 7162 CONDSTORE, RFC 9208
//! QUOTA, RFC 4978 COMPRESS, RFC 6154 USEATTR).

use super::super::flag::Flag;
use super::write;

/// A bracketed response code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    Alert,
    Capability(Vec<String>),
    PermanentFlags(Vec<Flag>),
    ReadOnly,
    ReadWrite,
    TryCreate,
    UidNext(u32),
    UidValidity(u32),
    Unseen(u32),
    HighestModSeq(u64),
    NoModSeq,
    /// STORE UNCHANGEDSINCE failures, as a sequence set (RFC 7162 §3.1.3).
    Modified(String),
    AppendUid {
        validity: u32,
        uid: u32,
    },
    /// COPYUID with source and destination UID sets in wire form.
    CopyUid {
        validity: u32,
        source: String,
        dest: String,
    },
    BadCharset(Vec<String>),
    Parse,
    OverQuota,
    Unavailable,
    AuthenticationFailed,
    AuthorizationFailed,
    Expired,
    PrivacyRequired,
    ContactAdmin,
    NoPerm,
    InUse,
    ExpungeIssued,
    Corruption,
    ServerBug,
    ClientBug,
    Cannot,
    Limit,
    AlreadyExists,
    NonExistent,
    TooBig,
    Closed,
    CompressionActive,
    UseAttr,
}

impl Code {
    /// Writes `[CODE ...]` (without surrounding spaces).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        let simple = |out: &mut Vec<u8>, s: &str| out.extend_from_slice(s.as_bytes());
        match self {
            Code::Alert => simple(out, "ALERT"),
            Code::Capability(caps) => {
                simple(out, "CAPABILITY");
                for c in caps {
                    out.push(b' ');
                    simple(out, c);
                }
            }
            Code::PermanentFlags(flags) => {
                simple(out, "PERMANENTFLAGS ");
                flag_list(out, flags);
            }
            Code::ReadOnly => simple(out, "READ-ONLY"),
            Code::ReadWrite => simple(out, "READ-WRITE"),
            Code::TryCreate => simple(out, "TRYCREATE"),
            Code::UidNext(n) => simple(out, &format!("UIDNEXT {n}")),
            Code::UidValidity(n) => simple(out, &format!("UIDVALIDITY {n}")),
            Code::Unseen(n) => simple(out, &format!("UNSEEN {n}")),
            Code::HighestModSeq(n) => simple(out, &format!("HIGHESTMODSEQ {n}")),
            Code::NoModSeq => simple(out, "NOMODSEQ"),
            Code::Modified(set) => simple(out, &format!("MODIFIED {set}")),
            Code::AppendUid { validity, uid } => {
                simple(out, &format!("APPENDUID {validity} {uid}"))
            }
            Code::CopyUid {
                validity,
                source,
                dest,
            } => simple(out, &format!("COPYUID {validity} {source} {dest}")),
            Code::BadCharset(cs) => {
                simple(out, "BADCHARSET");
                if !cs.is_empty() {
                    out.extend_from_slice(b" (");
                    for (i, c) in cs.iter().enumerate() {
                        if i > 0 {
                            out.push(b' ');
                        }
                        write::astring(out, c.as_bytes(), false);
                    }
                    out.push(b')');
                }
            }
            Code::Parse => simple(out, "PARSE"),
            Code::OverQuota => simple(out, "OVERQUOTA"),
            Code::Unavailable => simple(out, "UNAVAILABLE"),
            Code::AuthenticationFailed => simple(out, "AUTHENTICATIONFAILED"),
            Code::AuthorizationFailed => simple(out, "AUTHORIZATIONFAILED"),
            Code::Expired => simple(out, "EXPIRED"),
            Code::PrivacyRequired => simple(out, "PRIVACYREQUIRED"),
            Code::ContactAdmin => simple(out, "CONTACTADMIN"),
            Code::NoPerm => simple(out, "NOPERM"),
            Code::InUse => simple(out, "INUSE"),
            Code::ExpungeIssued => simple(out, "EXPUNGEISSUED"),
            Code::Corruption => simple(out, "CORRUPTION"),
            Code::ServerBug => simple(out, "SERVERBUG"),
            Code::ClientBug => simple(out, "CLIENTBUG"),
            Code::Cannot => simple(out, "CANNOT"),
            Code::Limit => simple(out, "LIMIT"),
            Code::AlreadyExists => simple(out, "ALREADYEXISTS"),
            Code::NonExistent => simple(out, "NONEXISTENT"),
            Code::TooBig => simple(out, "TOOBIG"),
            Code::Closed => simple(out, "CLOSED"),
            Code::CompressionActive => simple(out, "COMPRESSIONACTIVE"),
            Code::UseAttr => simple(out, "USEATTR"),
        }
        out.push(b']');
    }
}

/// `(flag flag ...)`.
pub fn flag_list(out: &mut Vec<u8>, flags: &[Flag]) {
    out.push(b'(');
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(f.as_wire().as_bytes());
    }
    out.push(b')');
}
