//! TLS tests: STARTTLS upgrade, implicit TLS, refusal rules, handshake timeout, certificate
//! reload, configuration errors, and `openssl s_client` as an independent client.

use super::test_support::{Client, require_tool, spawn_server};
use super::testcert::{TestCertFiles, write_atomically, write_test_cert};
use super::{Conn, Tls, TlsError, TlsOptions, accept_tls};
use std::io;
use std::time::Duration;
use tempfile::TempDir;

fn setup(options: TlsOptions) -> (TempDir, TestCertFiles, Tls) {
    let dir = tempfile::tempdir().unwrap();
    let files = write_test_cert(dir.path()).unwrap();
    let tls = Tls::with_options(&files.cert, &files.key, options).unwrap();
    (dir, files, tls)
}

#[tokio::test]
async fn starttls_upgrades_in_place() {
    let (_dir, files, tls) = setup(TlsOptions::default());
    let port = spawn_server(Some(tls), false).await;
    let mut client = Client::connect(port).await;
    assert_eq!(client.line().await, "* OK ready\r\n");
    let plain = client.cmd("NOOP").await;
    assert_eq!(plain, ["t1 OK tls=false deflate=false\r\n"]);
    let (mut client, leaf) = client.starttls(files.ca.client_config().unwrap()).await;
    assert_eq!(leaf, files.leaf.der.to_vec());
    assert_eq!(
        client.cmd("NOOP").await,
        ["t3 OK tls=true deflate=false\r\n"]
    );
    // A second STARTTLS is refused by the driver (Conn::can_start_tls is false).
    assert_eq!(client.cmd("STARTTLS").await, ["t4 NO cannot\r\n"]);
    assert_eq!(
        client.cmd("ECHO still here").await,
        ["t5 OK still here\r\n"]
    );
}

#[tokio::test]
async fn starttls_with_pipelined_plaintext_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_dir, _files, tls) = setup(TlsOptions::default());
    let port = spawn_server(Some(tls), false).await;
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    // The injected command arrives in the same segment as STARTTLS.
    tcp.write_all(b"a STARTTLS\r\nb ECHO injected\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    let got = String::from_utf8(got).unwrap();
    assert_eq!(got, "* OK ready\r\na BAD data after STARTTLS\r\n");
}

#[tokio::test]
async fn implicit_tls_serves_and_reports_parameters() {
    let (_dir, files, tls) = setup(TlsOptions::default());
    let port = spawn_server(Some(tls), true).await;
    let (mut client, leaf) = Client::connect_tls(port, files.ca.client_config().unwrap()).await;
    assert_eq!(leaf, files.leaf.der.to_vec());
    assert_eq!(client.line().await, "* OK ready\r\n");
    assert_eq!(
        client.cmd("NOOP").await,
        ["t1 OK tls=true deflate=false\r\n"]
    );
    assert_eq!(client.cmd("STARTTLS").await, ["t2 NO cannot\r\n"]);
    let bye = client.cmd("LOGOUT").await;
    assert_eq!(bye, ["* BYE\r\n", "t3 OK bye\r\n"]);
}

#[tokio::test]
async fn tls_info_and_upgrade_rules_on_a_duplex() {
    let (_dir, files, tls) = setup(TlsOptions::default());
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    let connector = tokio_rustls::TlsConnector::from(files.ca.client_config().unwrap());
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let (server, client) = tokio::join!(
        accept_tls(&tls, server_io),
        connector.connect(name, client_io)
    );
    let (server, _client) = (server.unwrap(), client.unwrap());
    let info = server.tls_info().unwrap();
    assert!(info.version.starts_with("TLSv1_"), "{info:?}");
    assert!(!info.cipher.is_empty(), "{info:?}");
    assert_eq!(info.sni.as_deref(), Some("localhost"));
    assert!(!server.can_start_tls() && server.can_compress());
    let err = server.start_tls(&tls).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

    let (plain, _peer) = tokio::io::duplex(1024);
    let compressed = Conn::plain(plain).start_deflate(Vec::new()).unwrap();
    assert!(!compressed.is_tls() && compressed.is_compressed());
    assert!(!compressed.can_start_tls() && !compressed.can_compress());
    let err = compressed.start_tls(&tls).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn handshake_times_out_and_garbage_fails() {
    use tokio::io::AsyncWriteExt;
    let options = TlsOptions {
        handshake_timeout: Duration::from_millis(200),
        ..TlsOptions::default()
    };
    let (_dir, _files, tls) = setup(options);
    let (silent, _keep) = tokio::io::duplex(1024);
    let err = accept_tls(&tls, silent).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);

    let (server_io, mut client_io) = tokio::io::duplex(1024);
    client_io.write_all(b"a LOGIN x y\r\n").await.unwrap();
    let err = accept_tls(&tls, server_io).await.unwrap_err();
    assert_ne!(err.kind(), io::ErrorKind::TimedOut, "{err}");
}

#[tokio::test]
async fn reload_picks_up_new_files_and_keeps_old_on_failure() {
    let options = TlsOptions {
        check_interval: Duration::ZERO,
        ..TlsOptions::default()
    };
    let (_dir, files, tls) = setup(options);
    let port = spawn_server(Some(tls.clone()), true).await;
    let config = files.ca.client_config().unwrap();
    let (mut old, leaf1) = Client::connect_tls(port, config.clone()).await;
    assert_eq!(leaf1, files.leaf.der.to_vec());
    assert_eq!(old.line().await, "* OK ready\r\n");

    // Replaced files: new connections see the new certificate; the old one keeps working.
    let second = files.ca.issue("mail.example", 2).unwrap();
    second.write(&files.cert, &files.key).unwrap();
    let (_new, leaf2) = Client::connect_tls(port, config.clone()).await;
    assert_eq!(leaf2, second.der.to_vec());
    assert_eq!(old.cmd("ECHO old").await, ["t1 OK old\r\n"]);

    // Broken certificate file, then a key that does not match: the second cert stays.
    let third = files.ca.issue("third.example", 3).unwrap();
    write_atomically(&files.cert, b"-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
    let (_c, leaf) = Client::connect_tls(port, config.clone()).await;
    assert_eq!(leaf, second.der.to_vec());
    write_atomically(&files.cert, third.cert_pem.as_bytes()).unwrap();
    let (_c, leaf) = Client::connect_tls(port, config.clone()).await;
    assert_eq!(
        leaf,
        second.der.to_vec(),
        "a mismatched key must not be used"
    );
    assert!(matches!(tls.reload(), Err(TlsError::Rustls(_))));
    write_atomically(&files.cert, b"").unwrap();
    assert!(matches!(tls.reload(), Err(TlsError::NoCertificate(_))));

    // Fixed, and reloaded explicitly (the SIGHUP path).
    third.write(&files.cert, &files.key).unwrap();
    tls.reload().unwrap();
    let (_c, leaf) = Client::connect_tls(port, config).await;
    assert_eq!(leaf, third.der.to_vec());
    assert_eq!(old.cmd("ECHO still").await, ["t2 OK still\r\n"]);
}

#[tokio::test]
async fn reload_waits_for_the_check_interval() {
    let (_dir, files, tls) = setup(TlsOptions::default()); // 10 s interval
    let port = spawn_server(Some(tls), true).await;
    let config = files.ca.client_config().unwrap();
    files
        .ca
        .issue("later", 9)
        .unwrap()
        .write(&files.cert, &files.key)
        .unwrap();
    let (_c, leaf) = Client::connect_tls(port, config).await;
    assert_eq!(leaf, files.leaf.der.to_vec());
}

#[test]
fn from_config_cases() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_test_cert(dir.path()).unwrap();
    let mut config = crate::config::Config::default();
    assert!(Tls::from_config(&config).unwrap().is_none());
    config.tls.cert = files.cert.display().to_string();
    assert!(matches!(
        Tls::from_config(&config),
        Err(TlsError::Incomplete("key"))
    ));
    config.tls.key = dir.path().join("missing.pem").display().to_string();
    assert!(matches!(
        Tls::from_config(&config),
        Err(TlsError::Read { .. })
    ));
    config.tls.key = files.cert.display().to_string(); // a certificate is not a key
    assert!(matches!(
        Tls::from_config(&config),
        Err(TlsError::Pem { .. })
    ));
    config.tls.key = files.key.display().to_string();
    assert!(Tls::from_config(&config).unwrap().is_some());
}

/// Runs `openssl s_client` against a fresh server (implicit TLS, or `-starttls imap`), sends
/// two commands and returns its stdout.
async fn s_client(implicit: bool) -> String {
    use tokio::io::AsyncWriteExt;
    let (_dir, files, tls) = setup(TlsOptions::default());
    let port = spawn_server(Some(tls), implicit).await;
    let mut command = tokio::process::Command::new("openssl");
    command
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args([
            "-servername",
            "localhost",
            "-verify_return_error",
            "-ign_eof",
        ])
        .arg("-CAfile")
        .arg(&files.ca_file);
    if !implicit {
        command.args(["-starttls", "imap"]);
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"a NOOP\r\nb LOGOUT\r\n").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("Verify return code: 0 (ok)"),
        "{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test]
async fn openssl_s_client_connects_to_implicit_tls() {
    if require_tool("openssl").is_none() {
        return;
    }
    let stdout = s_client(true).await;
    assert!(stdout.contains("* OK ready"), "{stdout}");
    assert!(stdout.contains("a OK tls=true deflate=false"), "{stdout}");
    assert!(stdout.contains("b OK bye"), "{stdout}");
}

#[tokio::test]
async fn openssl_s_client_starttls_imap() {
    if require_tool("openssl").is_none() {
        return;
    }
    let stdout = s_client(false).await;
    assert!(stdout.contains("a OK tls=true deflate=false"), "{stdout}");
    assert!(stdout.contains("b OK bye"), "{stdout}");
}

#[tokio::test]
async fn sighup_reloads_the_certificate() {
    let (dir, files, _) = setup(TlsOptions::default());
    let mut config = crate::config::Config::default();
    config.tls.cert = files.cert.display().to_string();
    config.tls.key = files.key.display().to_string();
    // Default options: a 10 s check interval, so only the signal can explain a quick change.
    let tls = crate::daemon::load_tls(&config).unwrap().unwrap();
    let port = spawn_server(Some(tls), true).await;
    let client_config = files.ca.client_config().unwrap();
    let next = files.ca.issue("after-hup", 5).unwrap();
    next.write(&files.cert, &files.key).unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut leaf = Vec::new();
    for _ in 0..100 {
        (_, leaf) = Client::connect_tls(port, client_config.clone()).await;
        if leaf == next.der.to_vec() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(leaf, next.der.to_vec());
    drop(dir);
}
