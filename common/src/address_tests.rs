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
