//! Black-box tests of `eider`'s administration commands: output, stored effects and exit codes
//! (0 ok, 1 usage/config, 2 not found, 3 already exists, 4 store failure).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod support;

use eider_runtime::password;
use support::{Site, exists_nonempty, strings};

#[test]
fn user_lifecycle() {
    let site = Site::new();
    site.expect(
        0,
        &["user", "add", "Alice@Example.org", "--password", "pw1"],
    )
    .stdout_has("created user alice@example.org");
    site.expect(
        0,
        &[
            "user",
            "add",
            "bob",
            "--password",
            "pw",
            "--address",
            "Bob@Example.org",
            "--address",
            "b@bücher.example",
            "--quota",
            "1000",
        ],
    );

    let users = site.json(&["user", "list", "--json"]);
    assert_eq!(strings(&users, "username"), ["alice@example.org", "bob"]);
    assert_eq!(
        users[0]["addresses"],
        serde_json::json!(["alice@example.org"])
    );
    let mut bob_addrs: Vec<&str> = users[1]["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    bob_addrs.sort();
    assert_eq!(bob_addrs, ["b@bücher.example", "bob@example.org"]);
    assert_eq!(users[1]["quota"], 1000);
    assert_eq!(
        users[0]["quota"], 0,
        "default quota comes from limits.default_quota"
    );

    let table = site.expect(0, &["user", "list"]);
    table
        .stdout_has("USER")
        .stdout_has("alice@example.org")
        .stdout_has("bob");

    // duplicates: same name in another case, an address someone holds (nothing is created)
    site.expect(3, &["user", "add", "ALICE@example.org", "--password", "x"])
        .stderr_has("eider: already exists: user alice@example.org");
    site.expect(
        3,
        &[
            "user",
            "add",
            "carol",
            "--password",
            "x",
            "--address",
            "bob@EXAMPLE.org",
        ],
    )
    .stderr_has("eider: already exists: address bob@example.org");
    assert_eq!(
        strings(&site.json(&["user", "list", "--json"]), "username").len(),
        2
    );

    site.expect(
        0,
        &["user", "passwd", "alice@example.org", "--password", "pw2"],
    )
    .stdout_has("password changed for alice@example.org");
    site.run_with_stdin(
        &["user", "passwd", "bob", "--password-stdin"],
        "from stdin\n",
    )
    .code(0);
    // the new passwords are what the store holds now (argon2id)
    site.with_store(async |store| {
        let alice = store.find_user("alice@example.org").await.unwrap().unwrap();
        let bob = store.find_user("bob").await.unwrap().unwrap();
        assert!(alice.password_hash.starts_with("$argon2id$"));
        assert!(password::verify("pw2", &alice.password_hash));
        assert!(!password::verify("pw1", &alice.password_hash));
        assert!(password::verify("from stdin", &bob.password_hash));
    });
    site.expect(2, &["user", "passwd", "nobody", "--password", "x"])
        .stderr_has("eider: not found: user nobody");
    site.run_with_stdin(&["user", "passwd", "bob", "--password-stdin"], "\n")
        .code(1)
        .stderr_has("empty password");

    // a user can be named by one of their addresses
    site.expect(0, &["user", "delete", "b@xn--bcher-kva.example"])
        .stdout_has("deleted user bob");
    site.expect(2, &["user", "delete", "bob"])
        .stderr_has("eider: not found: user bob");
    assert_eq!(
        strings(&site.json(&["user", "list", "--json"]), "username"),
        ["alice@example.org"]
    );
    // bob's addresses went with him
    site.expect(
        0,
        &[
            "user",
            "add",
            "dave",
            "--password",
            "x",
            "--address",
            "bob@example.org",
        ],
    );
}

#[test]
fn addresses() {
    let site = Site::new();
    site.expect(0, &["user", "add", "alice", "--password", "pw"]);
    site.expect(0, &["user", "add", "bob", "--password", "pw"]);
    site.expect(0, &["address", "add", "alice", "Alias@Example.org"])
        .stdout_has("added address alias@example.org to alice");
    site.expect(0, &["address", "add", "alice", "*@catch.example"]);
    let list = site.json(&["address", "list", "alice", "--json"]);
    let mut addrs = strings(&list, "address");
    addrs.sort();
    assert_eq!(addrs, ["*@catch.example", "alias@example.org"]);
    site.expect(0, &["address", "list", "alice"])
        .stdout_has("alias@example.org");

    site.expect(3, &["address", "add", "bob", "ALIAS@example.org"])
        .stderr_has("eider: already exists: address alias@example.org");
    site.expect(2, &["address", "add", "nobody", "x@example.org"])
        .stderr_has("eider: not found: user nobody");
    site.expect(1, &["address", "add", "alice", "not an address"])
        .stderr_has("eider: usage:");
    site.expect(0, &["address", "delete", "alias@EXAMPLE.org"])
        .stdout_has("deleted address alias@example.org");
    site.expect(2, &["address", "delete", "alias@example.org"])
        .stderr_has("eider: not found: address alias@example.org");
    site.expect(2, &["address", "list", "nobody"]);
    assert_eq!(
        strings(&site.json(&["address", "list", "bob", "--json"]), "address"),
        Vec::<String>::new()
    );
}

#[test]
fn new_users_have_the_default_mailboxes() {
    let site = Site::new();
    site.expect(0, &["user", "add", "alice", "--password", "pw"]);
    let boxes = site.json(&["mailbox", "list", "alice", "--json"]);
    let mut paths = strings(&boxes, "path");
    paths.sort();
    assert_eq!(
        paths,
        ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"]
    );
    for mailbox in boxes.as_array().unwrap() {
        assert_eq!(mailbox["messages"], 0, "{mailbox}");
        let expected = match mailbox["path"].as_str().unwrap() {
            "INBOX" => serde_json::Value::Null,
            other => format!("\\{other}").into(),
        };
        assert_eq!(mailbox["special_use"], expected);
    }
    site.expect(0, &["mailbox", "list", "alice"])
        .stdout_has("INBOX");
    site.expect(2, &["mailbox", "list", "nobody"]);
}

#[test]
fn usage_and_config_errors_exit_1() {
    let site = Site::new();
    site.expect(1, &["user", "add", "alice"]); // no password
    site.expect(1, &["frobnicate"]);
    site.expect(1, &["user", "add", "bad name", "--password", "x"])
        .stderr_has("invalid user name");
    site.expect(0, &["--help"]).stdout_has("Exit codes");
    let missing = Site::new();
    std::fs::remove_file(&missing.config).unwrap();
    missing
        .expect(1, &["user", "list"])
        .stderr_has("eider: config: cannot read");
    std::fs::write(&missing.config, "[imap]\nlisen = \"x\"\n").unwrap();
    missing.expect(1, &["user", "list"]).stderr_has("lisen");
}

#[test]
fn environment_overrides_the_config_file() {
    let site = Site::new();
    let elsewhere = site.dir.path().join("elsewhere");
    let run = site
        .command(&["user", "add", "alice", "--password", "pw"])
        .env("EIDER_DATA_DIR", &elsewhere)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(
        exists_nonempty(&elsewhere),
        "store must be created in EIDER_DATA_DIR"
    );
    assert!(
        !site.data_dir().exists(),
        "config file's data_dir must not be used"
    );

    // EIDER_CONFIG names the file when -c is absent
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_eider"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("EIDER_")) {
        cmd.env_remove(key);
    }
    let via_env = cmd
        .args(["user", "add", "bob", "--password", "pw"])
        .env("EIDER_CONFIG", &site.config)
        .output()
        .unwrap();
    assert_eq!(via_env.status.code(), Some(0), "{via_env:?}");
    assert!(
        exists_nonempty(&site.data_dir()),
        "EIDER_CONFIG's data_dir must be used"
    );

    let typo = site
        .command(&["user", "list"])
        .env("EIDER_DATA_DIRR", &elsewhere)
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("EIDER_DATA_DIRR"),
        "{typo:?}"
    );
}

#[test]
fn filters_add_list_delete() {
    let site = Site::new();
    site.expect(0, &["user", "add", "alice", "--password", "pw"]);
    site.expect(1, &["filter", "add", "alice", "--mailbox", "Lists"]);
    site.expect(1, &["filter", "add", "alice", "--subject", "x"]);
    site.expect(
        0,
        &[
            "filter",
            "add",
            "alice",
            "--subject",
            "[mips]",
            "--mailbox",
            "Lists",
            "--seen",
        ],
    )
    .stdout_has("added filter 1");
    site.expect(
        0,
        &[
            "filter",
            "add",
            "alice",
            "--header",
            "X-Priority:1",
            "--flag",
        ],
    );
    site.expect(0, &["filter", "list", "alice", "--json"])
        .stdout_has("[mips]")
        .stdout_has("X-Priority");
    site.expect(2, &["filter", "delete", "alice", "3"]);
    site.expect(0, &["filter", "delete", "alice", "1"]);
    let run = site.expect(0, &["filter", "list", "alice"]);
    assert!(!run.stdout.contains("[mips]"), "{run:?}");
    assert!(run.stdout.contains("X-Priority"), "{run:?}");
}

/// Issue #14: an API token issued before `eider user passwd` kept working. The change (and a
/// deletion) now drops every token record of the user (`token/{user}/…`, docs/api.md).
#[test]
fn passwd_and_delete_revoke_api_tokens() {
    let site = Site::new();
    site.expect(0, &["user", "add", "alice", "--password", "pw1"]);
    site.expect(0, &["user", "add", "bob", "--password", "pw1"]);
    let keys = site.with_store(async |store| {
        let mut keys = Vec::new();
        for name in ["alice", "bob"] {
            let id = store.find_user(name).await.unwrap().unwrap().id;
            let key = format!("token/{}/{}", id.0, "ab".repeat(32));
            let far = i64::MAX / 2;
            store
                .record_put(&key, b"{}".to_vec(), Some(far))
                .await
                .unwrap();
            keys.push(key);
        }
        keys
    });
    let live = |site: &Site, key: &str| {
        let key = key.to_owned();
        site.with_store(async move |store| store.record_get(&key).await.unwrap().is_some())
    };
    site.expect(0, &["user", "passwd", "alice", "--password", "pw2"]);
    assert!(
        !live(&site, &keys[0]),
        "alice's token survived the password change"
    );
    assert!(live(&site, &keys[1]), "bob's token is not alice's");
    site.expect(0, &["user", "delete", "bob"]);
    assert!(!live(&site, &keys[1]), "bob's token survived his deletion");
}
