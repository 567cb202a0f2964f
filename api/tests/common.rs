//! Shared setup for the API's black-box tests: a world with an operator token, the server on
//! 127.0.0.1:0, and a small client.

#![allow(clippy::unwrap_used)]

use eider_tests::harness::World;
use reqwest::{Client, Method, Response};
use serde_json::Value;

pub const OP: &str = "operator-test-token-0123456789";

pub struct Api {
    pub world: World,
    pub base: String,
    pub http: Client,
}

impl Api {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut eider_runtime::config::Config)) -> Self {
        let world = World::new(|c| {
            c.api.operator_tokens = vec![OP.into()];
            tweak(c);
        })
        .unwrap();
        // reqwest is built without a default crypto provider: the workspace's one (ring).
        eider_runtime::transport::install_crypto_provider();
        let addr = world.spawn(eider_api::run).await.unwrap();
        Self {
            world,
            base: format!("http://{addr}"),
            http: Client::new(),
        }
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.req(Method::GET, path, Some(token))
            .send()
            .await
            .unwrap()
    }

    pub async fn json(&self, method: Method, path: &str, token: &str, body: Value) -> Response {
        self.req(method, path, Some(token))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Creates a user through the API; returns its id.
    pub async fn user(&self, name: &str, password: &str, addresses: &[&str]) -> String {
        let r = self
            .json(
                Method::POST,
                "/users",
                OP,
                serde_json::json!({"username": name, "password": password, "addresses": addresses}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Logs in; returns the token.
    pub async fn login(&self, name: &str, password: &str) -> String {
        let r = self
            .req(Method::POST, "/authenticate", None)
            .json(&serde_json::json!({"username": name, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The id of a user's mailbox by path.
    pub async fn mailbox(&self, user: &str, path: &str) -> String {
        let v: Value = self
            .get(&format!("/users/{user}/mailboxes"), OP)
            .await
            .json()
            .await
            .unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["path"] == path)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Uploads a raw message; returns its UID.
    pub async fn upload(&self, user: &str, mailbox: &str, raw: &[u8]) -> u64 {
        let r = self
            .req(
                Method::POST,
                &format!("/users/{user}/mailboxes/{mailbox}/messages"),
                Some(OP),
            )
            .header("content-type", "message/rfc822")
            .body(raw.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["uid"].as_u64().unwrap()
    }
}

/// What a webhook receiver saw: (lower-cased head, body) per request.
pub type Hits = tokio::sync::mpsc::UnboundedReceiver<(String, String)>;

/// An HTTP receiver that answers 500 to the first `fail` requests and 204 after.
pub async fn receiver(fail: usize) -> (String, Hits) {
    receiver_with(fail, None).await
}

/// [`receiver`] over TLS with `acceptor`; the URL is `https://127.0.0.1:PORT/hook`.
pub async fn receiver_with(
    fail: usize,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) -> (String, Hits) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}/hook", l.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let (tx, seen, acceptor) = (tx.clone(), seen.clone(), acceptor.clone());
            tokio::spawn(async move {
                match acceptor {
                    Some(a) => match a.accept(s).await {
                        Ok(tls) => answer(tls, fail, &seen, &tx).await,
                        Err(e) => eprintln!("receiver TLS handshake: {e}"),
                    },
                    None => answer(s, fail, &seen, &tx).await,
                }
            });
        }
    });
    (url, rx)
}

async fn answer<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut s: S,
    fail: usize,
    seen: &std::sync::atomic::AtomicUsize,
    tx: &tokio::sync::mpsc::UnboundedSender<(String, String)>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, body) = loop {
        let Ok(k) = s.read(&mut chunk).await else {
            return;
        };
        buf.extend_from_slice(&chunk[..k]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(i) = text.find("\r\n\r\n") {
            let head = text[..i].to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= i + 4 + len {
                break (head, text[i + 4..i + 4 + len].to_owned());
            }
        }
        if k == 0 {
            return;
        }
    };
    let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let status = if n <= fail {
        "500 Internal Server Error"
    } else {
        "204 No Content"
    };
    let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    let _ = s.write_all(reply.as_bytes()).await;
    let _ = s.shutdown().await;
    let _ = tx.send((head, body));
}
