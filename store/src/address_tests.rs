//! Tests of address normalisation and resolution order.

use super::*;

#[test]
fn normal_forms() {
    let cases = [
        ("alice@example.org", "alice@example.org"),
        ("  <Alice@Example.ORG>  ", "alice@example.org"),
        ("alice@example.org.", "alice@example.org"),
        ("Alice+Tag@EXAMPLE.org", "alice+tag@example.org"),
        // punycode in, Unicode stored
        ("user@xn--bcher-kva.example", "user@bücher.example"),
        ("user@XN--BCHER-KVA.EXAMPLE", "user@bücher.example"),
        ("user@Bücher.Example", "user@bücher.example"),
        // NFD local part and domain become NFC
        (
            "pe\u{301}le\u{301}@bu\u{308}cher.example",
            "pélé@bücher.example",
        ),
        ("PÉLÉ@bücher.example", "pélé@bücher.example"),
        ("ÄRGER@example.org", "ärger@example.org"),
        ("*@Example.org", "*@example.org"),
        ("*@xn--bcher-kva.example", "*@bücher.example"),
        ("\"John Doe\"@example.org", "\"john doe\"@example.org"),
        ("a@[IPv6:::1]", "a@[ipv6:::1]"),
        (
            "first.last@sub.example.co.uk",
            "first.last@sub.example.co.uk",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(normalize(input).as_deref(), Ok(expected), "{input:?}");
    }
}

#[test]
fn rejected() {
    type Check = fn(&AddressError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| *e == AddressError::Empty),
        ("   ", |e| *e == AddressError::Empty),
        ("<>", |e| *e == AddressError::Empty),
        ("alice", |e| matches!(e, AddressError::MissingDomain(_))),
        ("@example.org", |e| {
            matches!(e, AddressError::InvalidLocal(_))
        }),
        ("a b@example.org", |e| {
            matches!(e, AddressError::InvalidLocal(_))
        }),
        (".a@example.org", |e| {
            matches!(e, AddressError::InvalidLocal(_))
        }),
        ("a..b@example.org", |e| {
            matches!(e, AddressError::InvalidLocal(_))
        }),
        ("a\u{7}@example.org", |e| {
            matches!(e, AddressError::InvalidLocal(_))
        }),
        ("alice@", |e| matches!(e, AddressError::InvalidDomain(_))),
        ("alice@.", |e| matches!(e, AddressError::InvalidDomain(_))),
        ("alice@exa mple.org", |e| {
            matches!(e, AddressError::InvalidDomain(_))
        }),
        ("alice@example..org", |e| {
            matches!(e, AddressError::InvalidDomain(_))
        }),
        ("alice@-example.org", |e| {
            matches!(e, AddressError::InvalidDomain(_))
        }),
        ("alice@xn--zz.example", |e| {
            matches!(e, AddressError::InvalidDomain(_))
        }),
    ];
    for (input, check) in cases {
        let got = normalize(input);
        assert!(matches!(&got, Err(e) if check(e)), "{input:?}: {got:?}");
    }
}

#[test]
fn normalize_is_idempotent() {
    for input in [
        "Alice+x@EXAMPLE.org",
        "user@xn--bcher-kva.example",
        "*@Ü.example",
    ] {
        let once = normalize(input).unwrap();
        assert_eq!(normalize(&once).unwrap(), once, "{input}");
    }
}

#[test]
fn tags() {
    let cases = [
        ("user+news@d.example", Some("news"), Some("user@d.example")),
        ("user+a+b@d.example", Some("a+b"), Some("user@d.example")),
        ("user@d.example", None, None),
        ("user+@d.example", None, Some("user@d.example")),
        ("+tag@d.example", None, None),
        ("*@d.example", None, None),
    ];
    for (addr, tag, base) in cases {
        assert_eq!(plus_tag(addr), tag, "{addr}");
        assert_eq!(without_tag(addr).as_deref(), base, "{addr}");
    }
}

/// The resolution order of the module doc, against the real embedded store.
#[tokio::test]
async fn resolution_order() {
    use crate::embedded::{EmbeddedOptions, EmbeddedStore};
    use eider_model::{NewUser, UserLimits};

    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let store: &dyn MailStore = &store;
    let holders = [
        ("alice", "alice@example.org"),
        ("bob", "bob@example.org"),
        ("carol", "bob+vip@example.org"),
        ("dave", "*@example.org"),
        ("frank", "frank@alias.example"),
        ("erin", "*@alias2.example"),
        ("gina", "*@other.example"),
        ("hank", "pelé@bücher.example"),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, addr) in holders {
        let user = store
            .create_user(NewUser {
                username: name.into(),
                password_hash: String::new(),
                quota: 0,
                limits: UserLimits::default(),
                spam_level: 0,
            })
            .await
            .unwrap();
        let normal = normalize(addr).unwrap();
        store.add_address(user.id, &normal, addr).await.unwrap();
        ids.insert(user.id, name);
    }
    for (alias, target) in [
        ("alias.example", "example.org"),
        ("alias2.example", "example.org"),
        ("other-alias.example", "other.example"),
    ] {
        store.add_domain_alias(alias, target).await.unwrap();
    }

    let cases = [
        ("alice@example.org", Some("alice")),      // 1 exact
        ("ALICE@EXAMPLE.ORG", Some("alice")),      // normalised first
        ("alice+news@example.org", Some("alice")), // 2 without tag
        ("bob+vip@example.org", Some("carol")),    // 1 beats 2
        ("bob+other@example.org", Some("bob")),    // 2
        ("zed@example.org", Some("dave")),         // 4 catch-all
        ("zed+x@example.org", Some("dave")),       // 4
        ("frank@alias.example", Some("frank")),    // 1 in the alias domain
        ("alice@alias.example", Some("alice")),    // 3 exact at the target
        ("alice+x@alias.example", Some("alice")),  // 3 untagged at the target
        ("zed@alias.example", Some("dave")),       // 4 *@target
        ("alice@alias2.example", Some("alice")),   // 3 beats 4
        ("zed@alias2.example", Some("erin")),      // 4 *@domain beats *@target
        ("x@other-alias.example", Some("gina")),   // 4 via alias
        ("x@other.example", Some("gina")),         // 4
        ("nobody@nowhere.example", None),
        ("frank@example.org", Some("dave")), // aliases are one-way
        ("PELÉ@xn--bcher-kva.example", Some("hank")), // punycode and case
        ("pele\u{301}@bu\u{308}cher.example", Some("hank")), // NFD
    ];
    for (recipient, expected) in cases {
        let got = resolve(store, recipient).await.unwrap();
        assert_eq!(got.map(|id| ids[&id]), expected, "{recipient}");
    }
    for bad in ["", "no-at-sign", "a b@example.org"] {
        assert!(
            matches!(resolve(store, bad).await, Err(StoreError::Invalid(_))),
            "{bad:?}"
        );
    }
}
